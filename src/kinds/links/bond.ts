import { portsField } from './schema.js';
import { linkId } from '../../model.js';
import { z } from 'zod';
import { ifname } from '../fields.js';
import { defineLinkKind } from './define.js';
import type { OpSpec } from '../types.js';
import { RANK } from '../ranks.js';

export const BOND_MODES = [
  'balance-rr',
  'active-backup',
  'balance-xor',
  'broadcast',
  '802.3ad',
  'balance-tlb',
  'balance-alb',
] as const;
const HASH = ['layer2', 'layer2+3', 'layer3+4', 'encap2+3', 'encap3+4', 'vlan+srcmac'] as const;

/** Modes as names, or 0–6 as in the BONDING_OPTS of ifcfg files. */
const mode = z
  .union([z.enum(BOND_MODES), z.number().int().min(0).max(6)])
  .transform((m) => (typeof m === 'number' ? BOND_MODES[m] : m));

export const bond = defineLinkKind({
  configKind: 'bond',
  rank: RANK.bonds,
  portsJoinDown: true,
  fields: {
    ports: portsField,
    mode: mode.optional().describe('balance-rr (default) … balance-alb, or 0–6'),
    miimon: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('MII link monitoring interval, ms; default 0 (100 for 802.3ad, tlb, alb)'),
    primary: ifname.optional().describe('preferred port (active-backup, tlb, alb)'),
    lacp_rate: z.enum(['slow', 'fast']).optional().describe('802.3ad LACPDU rate; default slow'),
    xmit_hash_policy: z.enum(HASH).optional().describe('default layer2'),
    updelay: z.number().int().min(0).optional().describe('ms; default 0'),
    downdelay: z.number().int().min(0).optional().describe('ms; default 0'),
  },
  matches: (l) => l.linkinfo?.info_kind === 'bond',
  immutable: [],
  disruptive: ['mode'],
  attrs: (e) => ({
    attrs: {
      mode: e.mode ?? 'balance-rr',
      miimon: e.miimon,
      primary: e.primary ?? null,
      lacp_rate: e.lacp_rate ?? (e.mode === '802.3ad' ? 'slow' : undefined),
      xmit_hash_policy: e.xmit_hash_policy ?? 'layer2',
      updelay: e.updelay ?? 0,
      downdelay: e.downdelay ?? 0,
    },
  }),
  liveAttrs: (l) => {
    const d = l.linkinfo?.info_data ?? {};
    return {
      mode: d.mode,
      miimon: d.miimon,
      primary: d.primary ?? null,
      lacp_rate: d.ad_lacp_rate ?? d.lacp_rate,
      xmit_hash_policy: d.xmit_hash_policy,
      updelay: d.updelay,
      downdelay: d.downdelay,
    };
  },
  // At creation only what differs from the kernel's defaults: some options are refused in some modes
  // (updelay without miimon: EPERM), even when set to their default.
  createArgs: (_n, a) => [
    'type',
    'bond',
    ...bondArgs({
      ...a,
      xmit_hash_policy: a.xmit_hash_policy === 'layer2' ? undefined : a.xmit_hash_policy,
      updelay: a.updelay || undefined,
      downdelay: a.downdelay || undefined,
    }),
  ],
  changeArgs: (c) => ['type', 'bond', ...bondArgs(c)],
  // The change is the MII monitoring interval, in place (a mode change releases the ports: not minimal).
  sample: {
    file: 'version: 1\ninterfaces:\n  bond0: {kind: bond, mode: active-backup, miimon: 100}\n',
    change: 'version: 1\ninterfaces:\n  bond0: {kind: bond, mode: active-backup, miimon: 200}\n',
    needs: ['bonding'],
  },
  // The kernel changes a bond's mode only with no ports and the bond down: release, change, re-add.
  modeChange(name, desired, ctx): OpSpec[] | undefined {
    const live = ctx.live?.resources.get(linkId(name));
    if (!live || live.attrs.mode === desired.attrs.mode) return undefined;
    const livePorts = [...(ctx.live?.resources.values() ?? [])]
      .filter((r) => r.attrs.master === name)
      .map((r) => r.id.slice(5));
    // Re-added in the file's order: the first port up becomes the active one where primary is unset.
    const wanted = Array.isArray(desired.attrs.ports)
      ? (desired.attrs.ports as string[])
      : [...(ctx.desired?.resources.values() ?? [])].filter((r) => r.attrs.master === name).map((r) => r.id.slice(5));
    const ops: OpSpec[] = [];
    for (const p of livePorts)
      ops.push({ backend: 'ip', args: ['link', 'set', 'dev', p, 'nomaster'], disruptive: true });
    ops.push({ backend: 'ip', args: ['link', 'set', 'dev', name, 'down'], disruptive: true });
    ops.push({
      backend: 'ip',
      args: ['link', 'set', 'dev', name, 'type', 'bond', 'mode', String(desired.attrs.mode)],
      disruptive: true,
    });
    for (const p of wanted)
      ops.push(
        { backend: 'ip', args: ['link', 'set', 'dev', p, 'down', 'master', name], disruptive: true },
        { backend: 'ip', args: ['link', 'set', 'dev', p, 'up'], disruptive: true },
      );
    if (desired.attrs.state === 'up')
      ops.push({ backend: 'ip', args: ['link', 'set', 'dev', name, 'up'], disruptive: true });
    return ops;
  },
});

function bondArgs(a: Record<string, unknown>): string[] {
  const out: string[] = [];
  if (a.mode !== undefined) out.push('mode', String(a.mode));
  if (a.miimon !== undefined) out.push('miimon', String(a.miimon));
  if (a.primary !== undefined && a.primary !== null) out.push('primary', String(a.primary));
  if (a.lacp_rate !== undefined && a.mode !== undefined ? a.mode === '802.3ad' : a.lacp_rate !== undefined)
    out.push('lacp_rate', String(a.lacp_rate));
  if (a.xmit_hash_policy !== undefined) out.push('xmit_hash_policy', String(a.xmit_hash_policy));
  if (a.updelay !== undefined) out.push('updelay', String(a.updelay));
  if (a.downdelay !== undefined) out.push('downdelay', String(a.downdelay));
  return out;
}
