// ovs-patch: a patch Interface's peer (options:peer): two bridges joined.
import { z } from 'zod';
import type { LinkKind } from '../types.js';
import { nameOf, ovsName, ovsOp, patchId, portId } from './common.js';
import { OVS_RANK } from '../ranks.js';
import { setRow, foreignSets, onSomeBridge } from './write.js';

const PATCH_COLS: Record<string, string> = { peer: 'options:peer' };

export const ovsPatch: LinkKind = {
  name: 'ovs-patch',
  // Two bridges joined by two pairs of patch ports; the change crosses the pairs (each end's peer,
  // its one attribute: the ends name each other, so four change together).
  sample: {
    file: 'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [pa1, pa2]}\n  br1: {kind: ovs-bridge, datapath: netdev, ports: [pb1, pb2]}\n  pa1: {kind: ovs-patch, peer: pb1}\n  pb1: {kind: ovs-patch, peer: pa1}\n  pa2: {kind: ovs-patch, peer: pb2}\n  pb2: {kind: ovs-patch, peer: pa2}\n',
    change:
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [pa1, pa2]}\n  br1: {kind: ovs-bridge, datapath: netdev, ports: [pb1, pb2]}\n  pa1: {kind: ovs-patch, peer: pb2}\n  pb2: {kind: ovs-patch, peer: pa1}\n  pa2: {kind: ovs-patch, peer: pb1}\n  pb1: {kind: ovs-patch, peer: pa2}\n',
    needs: ['ovs'],
  },
  // Its kernel devices' ports are Open vSwitch's (master ovs-system), not kernel ports.
  holdsPortsItself: true,
  configKind: 'ovs-patch',
  rank: OVS_RANK,
  immutable: [],
  disruptive: ['peer'],
  schema: z
    .object({
      kind: z.literal('ovs-patch'),
      peer: ovsName.describe('the patch port at the other end, on another OVS bridge (options:peer)'),
    })
    .strict(),
  nameSchema: ovsName,
  idOf: patchId,
  matches: () => false,
  fromConfig: (name, e) => ({ attrs: { peer: e.peer }, deps: [{ id: portId(name), via: 'port', mode: 'recreate' }] }),
  portResources(name, e, file) {
    const r = onSomeBridge(name, file);
    const other = file.get(e.peer);
    if (e.peer === name)
      r.diagnostics.push({
        severity: 'error',
        message: `patch port ${name} names itself as its peer`,
        hint: 'a patch port pairs with one on another bridge: p-ab {peer: p-ba} and p-ba {peer: p-ab}',
        path: ['interfaces', name, 'peer'],
      });
    else if (other && (other.kind.name !== 'ovs-patch' || other.entry.peer !== name))
      r.diagnostics.push({
        severity: 'error',
        message: `patch port ${name} has peer ${e.peer}, but ${e.peer} ${other.kind.name === 'ovs-patch' ? `has peer ${other.entry.peer}` : `is a ${other.kind.name}`}`,
        hint: `the two ends name each other: ${e.peer}: {kind: ovs-patch, peer: ${name}}`,
        path: ['interfaces', name, 'peer'],
      });
    return r;
  },
  fromLive: () => [],
  create: (r) => {
    const name = nameOf(r.id);
    const foreign = foreignSets(r);
    return [
      ...setRow('Interface', name, [{ name: 'peer', after: r.attrs.peer }], PATCH_COLS, () => false, { target: r }),
      ...(foreign.length ? [ovsOp('set', 'Interface', name, ...foreign)] : []),
    ];
  },
  update: (d, l, changes) =>
    setRow('Interface', nameOf(d.id), changes, PATCH_COLS, () => false, { live: l, target: d }),
  delete: () => [], // the port's del-port removes its interface
};
