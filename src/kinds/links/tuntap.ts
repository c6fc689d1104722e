import { z } from 'zod';
import type { HostFacts } from '../types.js';
import type { Diagnostic } from '../../model.js';
import { defineLinkKind } from './define.js';
import { account } from '../fields.js';
import { quote } from '../../util/text.js';

// Owners are compared as numeric ids: `ip` prints a name when it can resolve one, a number otherwise.
function resolve(v: string | number | undefined, table: Record<string, number>): number | null | undefined {
  if (v === undefined) return null;
  if (typeof v === 'number') return v;
  if (/^\d+$/.test(v)) return Number(v);
  return table[v];
}

function tuntap(kind: 'tap' | 'tun') {
  // Owner and queues are fixed at creation: the change is a common attribute, the MTU.
  const sample = (mtu: number) => `version: 1\ninterfaces:\n  ${kind}0: {kind: ${kind}, mtu: ${mtu}}\n`;
  return defineLinkKind({
    configKind: kind,
    sample: { file: sample(1500), change: sample(1400) },
    fields: {
      user: account('user').optional().describe('owner (name or uid)'),
      group: account('group').optional().describe('group (name or gid)'),
      multi_queue: z.boolean().optional().describe('IFF_MULTI_QUEUE; default false'),
    },
    matches: (l) => l.linkinfo?.info_kind === 'tun' && l.linkinfo?.info_data?.type === kind,
    immutable: ['user', 'group', 'multi_queue'],
    attrs: (e, name, facts: HostFacts) => {
      const diagnostics: Diagnostic[] = [];
      const user = resolve(e.user, facts.users);
      const group = resolve(e.group, facts.groups);
      if (user === undefined)
        diagnostics.push({
          severity: 'error',
          message: `no such user ${quote(e.user)} on this host`,
          hint: 'write an existing user name or a numeric uid',
          path: ['interfaces', name, 'user'],
        });
      if (group === undefined)
        diagnostics.push({
          severity: 'error',
          message: `no such group ${quote(e.group)} on this host`,
          hint: 'write an existing group name or a numeric gid',
          path: ['interfaces', name, 'group'],
        });
      return { attrs: { user: user ?? null, group: group ?? null, multi_queue: e.multi_queue ?? false }, diagnostics };
    },
    liveAttrs: (l, facts) => {
      const d = l.linkinfo?.info_data ?? {};
      return {
        user: d.user === undefined ? null : (resolve(d.user, facts.users) ?? null),
        group: d.group === undefined ? null : (resolve(d.group, facts.groups) ?? null),
        multi_queue: !!d.multi_queue,
      };
    },
    createCommand: (name, a) => {
      const out = ['tuntap', 'add', 'mode', kind, 'name', name];
      if (a.user !== null && a.user !== undefined) out.push('user', String(a.user));
      if (a.group !== null && a.group !== undefined) out.push('group', String(a.group));
      if (a.multi_queue) out.push('multi_queue');
      return out;
    },
  });
}

export const tap = tuntap('tap');
export const tun = tuntap('tun');
