import { portsField } from './schema.js';
import { z } from 'zod';
import { defineLinkKind } from './define.js';
import { RANK } from '../ranks.js';

// Times are written in seconds (as brctl, netplan and nmstate do); iproute2 speaks centiseconds.
const cs = (s: number) => String(Math.round(s * 100));

export const bridge = defineLinkKind({
  configKind: 'bridge',
  rank: RANK.bridges,
  mtuFollowsPorts: true,
  fields: {
    ports: portsField,
    stp: z.boolean().optional().describe('kernel STP; default false'),
    forward_delay: z.number().min(2).max(30).optional().describe('seconds, 2–30; default 15'),
    ageing: z.number().min(0).max(1_000_000).optional().describe('FDB ageing time in seconds; default 300'),
    vlan_filtering: z.boolean().optional().describe('802.1Q VLAN filtering; default false'),
  },
  matches: (l) => l.linkinfo?.info_kind === 'bridge',
  immutable: [],
  attrs: (e) => ({
    attrs: {
      stp: e.stp ?? false,
      forward_delay: e.forward_delay ?? 15,
      ageing: e.ageing ?? 300,
      vlan_filtering: e.vlan_filtering ?? false,
    },
  }),
  liveAttrs: (l) => {
    const d = l.linkinfo?.info_data ?? {};
    return {
      stp: d.stp_state === undefined ? undefined : d.stp_state !== 0,
      forward_delay: d.forward_delay === undefined ? undefined : d.forward_delay / 100,
      ageing: d.ageing_time === undefined ? undefined : d.ageing_time / 100,
      vlan_filtering: d.vlan_filtering === undefined ? undefined : d.vlan_filtering !== 0,
    };
  },
  // At creation only what differs from the kernel's defaults, as a person would write it.
  createArgs: (_n, a) => [
    'type',
    'bridge',
    ...bridgeArgs(
      {
        ...a,
        forward_delay: a.forward_delay === 15 ? undefined : a.forward_delay,
        ageing: a.ageing === 300 ? undefined : a.ageing,
        stp: a.stp || undefined,
      },
      false,
    ),
  ],
  changeArgs: (c) => ['type', 'bridge', ...bridgeArgs(c, true)],
  // The change sets the FDB ageing time (default 300 s), in place.
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: bridge, ageing: 300}\n',
    change: 'version: 1\ninterfaces:\n  br0: {kind: bridge, ageing: 120}\n',
  },
});

function bridgeArgs(a: Record<string, unknown>, change: boolean): string[] {
  const out: string[] = [];
  // forward_delay before stp: the kernel checks the range only while STP is on.
  if (a.forward_delay !== undefined) out.push('forward_delay', cs(a.forward_delay as number));
  if (a.ageing !== undefined) out.push('ageing_time', cs(a.ageing as number));
  // At creation "off" is left out: kernels built without VLAN filtering reject even "vlan_filtering 0".
  if (a.vlan_filtering !== undefined && (change || a.vlan_filtering))
    out.push('vlan_filtering', a.vlan_filtering ? '1' : '0');
  if (a.stp !== undefined) out.push('stp_state', a.stp ? '1' : '0');
  return out;
}
