// ovs-tunnel: a tunnel Interface's options (gre, vxlan, geneve; IPsec keys by reference).
import { z } from 'zod';
import type { Attrs, Resource } from '../../model.js';
import type { LinkKind, OpSpec } from '../types.js';
import { ipAddress } from '../fields.js';
import { canonicalIp } from '../../util/net.js';
import { HELD, heldKey, namesHeldKey, OTHER_KEY, PSK_REF, SET_BY_HAND } from '../../backends/ovs/psk.js';
import { nameOf, ovsName, ovsOp, portId, PSK_REF_KEY, tunnelId } from './common.js';
import { DEFAULT_DST_PORT, TUNNEL_TYPES } from './live.js';
import { OVS_RANK } from '../ranks.js';
import { setRow, foreignSets, onSomeBridge } from './write.js';

const TUNNEL_COLS: Record<string, string> = {
  remote_ip: 'options:remote_ip',
  local_ip: 'options:local_ip',
  key: 'options:key',
  dst_port: 'options:dst_port',
};

function tunnelOps(
  name: string,
  changes: { name: string; after: unknown }[],
  defaults: Attrs,
  record: { live?: Resource; target: Resource },
): OpSpec[] {
  const ops = setRow(
    'Interface',
    name,
    changes,
    TUNNEL_COLS,
    (k, v) => k === 'dst_port' && v === defaults.dst_port,
    record,
  );
  const psk = changes.find((c) => c.name === 'ipsec');
  if (psk) {
    if (psk.after === null)
      ops.push(
        ovsOp('remove', 'Interface', name, 'options', 'psk'),
        ovsOp('remove', 'Interface', name, 'external_ids', PSK_REF_KEY),
      );
    else if (namesHeldKey(psk.after)) {
      // Only a rollback's target: the key the tunnel had, which this process read and holds, with
      // its reference (or none). In a transaction of its own; without the key, nothing to run: the
      // report says the file's key stays (unrestorable).
      if (heldKey(name) !== undefined) {
        const held = ovsOp('set', 'Interface', name, `options:psk=${PSK_REF}${HELD}${name}`);
        const ref =
          psk.after === SET_BY_HAND
            ? ovsOp('remove', 'Interface', name, 'external_ids', PSK_REF_KEY)
            : ovsOp(
                'set',
                'Interface',
                name,
                `external_ids:${PSK_REF_KEY}=${String(psk.after).slice(0, -OTHER_KEY.length)}`,
              );
        ops.push({ ...held, options: ['held key'] }, { ...ref, options: ['held key'] });
      }
    } else
      ops.push(
        ovsOp(
          'set',
          'Interface',
          name,
          `options:psk=${PSK_REF}${psk.after}`,
          `external_ids:${PSK_REF_KEY}=${psk.after}`,
        ),
      );
  }
  return ops;
}

export const ovsTunnel: LinkKind = {
  name: 'ovs-tunnel',
  // A GRE port on a userspace-datapath bridge; the change is its key (options:key, in place).
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [gtun0]}\n  gtun0: {kind: ovs-tunnel, type: gre, remote_ip: 198.51.100.2, key: 42}\n',
    change:
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [gtun0]}\n  gtun0: {kind: ovs-tunnel, type: gre, remote_ip: 198.51.100.2, key: 43}\n',
    needs: ['ovs'],
  },
  // Its kernel devices' ports are Open vSwitch's (master ovs-system), not kernel ports.
  holdsPortsItself: true,
  configKind: 'ovs-tunnel',
  rank: OVS_RANK,
  immutable: [],
  schema: z
    .object({
      kind: z.literal('ovs-tunnel'),
      // The documents' ipsec_gre is recognised only to say what to write instead.
      type: z
        .enum([...TUNNEL_TYPES, 'ipsec_gre'])
        .refine((t) => t !== 'ipsec_gre', {
          message:
            'OVS removed the ipsec_gre tunnel type; write type: gre (or vxlan, geneve) with ipsec: {psk_file: PATH} (needs the kernel datapath and ovs-monitor-ipsec)',
        })
        .describe('gre | vxlan | geneve; for IPsec add ipsec: to one of these (ipsec_gre is refused)'),
      remote_ip: ipAddress.describe('the far end (options:remote_ip)'),
      local_ip: ipAddress.optional().describe('source address (options:local_ip)'),
      key: z
        .number()
        .int()
        .min(0)
        .max(0xffffffff)
        .optional()
        .describe('GRE key, VXLAN VNI or Geneve VNI (options:key)'),
      dst_port: z
        .number()
        .int()
        .min(1)
        .max(65535)
        .optional()
        .describe('UDP port of vxlan (default 4789) and geneve (6081)'),
      ipsec: z
        .union([
          z
            .object({
              psk_file: z
                .string()
                .regex(/^\/[^\0]*$/, 'write an absolute path')
                .describe('file holding the pre-shared key'),
            })
            .strict(),
          z
            .object({
              psk_env: z
                .string()
                .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'write an environment variable name')
                .describe('environment variable holding it'),
            })
            .strict(),
        ])
        .optional()
        .describe('encrypt with IPsec (ovs-monitor-ipsec, kernel datapath); the key is never printed'),
    })
    .strict(),
  nameSchema: ovsName,
  idOf: tunnelId,
  matches: () => false,
  fromConfig(name, e) {
    const attrs: Attrs = {
      remote_ip: canonicalIp(e.remote_ip)!.ip,
      local_ip: e.local_ip ? canonicalIp(e.local_ip)!.ip : null,
      key: e.key ?? null,
      dst_port: e.dst_port ?? DEFAULT_DST_PORT[e.type] ?? null,
      ipsec: e.ipsec ? (e.ipsec.psk_file ? `file:${e.ipsec.psk_file}` : `env:${e.ipsec.psk_env}`) : null,
    };
    return { attrs, deps: [{ id: portId(name), via: 'port', mode: 'recreate' }] };
  },
  portResources: (name, _e, file) => onSomeBridge(name, file),
  fromLive: () => [],
  // The type comes from the port (set in the same transaction); a default dst_port is left unwritten.
  create: (r, ctx) => {
    const type = ctx.desired.resources.get(portId(nameOf(r.id)))?.attrs.type as string;
    const dflt = DEFAULT_DST_PORT[type] ?? null;
    const name = nameOf(r.id);
    const ops = tunnelOps(
      name,
      Object.entries(r.attrs)
        .filter(([k, v]) => v !== null && v !== undefined && !(k === 'dst_port' && v === dflt))
        .map(([name, after]) => ({ name, after })),
      {},
      { target: r },
    );
    const foreign = foreignSets(r);
    return foreign.length ? [...ops, ovsOp('set', 'Interface', name, ...foreign)] : ops;
  },
  update: (d, l, changes, ctx) => {
    const type = ctx.desired.resources.get(portId(nameOf(d.id)))?.attrs.type as string;
    return tunnelOps(nameOf(d.id), changes, { dst_port: DEFAULT_DST_PORT[type] ?? null }, { live: l, target: d });
  },
  delete: () => [], // the port's del-port removes its interface
  unrestorable(c) {
    if (c.action !== 'update') return undefined;
    const left = c.attrs;
    const key = left.find((a) => a.name === 'ipsec');
    const name = nameOf((c.after ?? c.before)!.id);
    if (left.length !== 1 || !key || !namesHeldKey(key.after) || heldKey(name) !== undefined) return undefined;
    const now =
      key.before === null
        ? 'none'
        : `the one ${String(key.before)
            .replace(/^file:/, '')
            .replace(/^env:/, '$')} holds`;
    return `its IPsec key stays ${now}: the key it had before is not known to this process (nethost never stores keys)`;
  },
};

/** A tunnel or bond must be a port of an ovs-bridge of the file. */
