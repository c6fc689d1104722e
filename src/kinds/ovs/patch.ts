// ovs-patch: a patch Interface's peer (options:peer): two bridges joined.
import { z } from 'zod';
import type { LinkKind } from '../types.js';
import { equalIgnoring, nameOf, ovsName, ovsOp, patchId, portId } from './common.js';
import { OVS_RANK } from '../ranks.js';
import { setRow, foreignSets, ROW_INTERNAL, onSomeBridge } from './write.js';

const PATCH_COLS: Record<string, string> = { peer: 'options:peer' };

export const ovsPatch: LinkKind = {
  name: 'ovs-patch',
  // Its kernel devices' ports are Open vSwitch's (master ovs-system), not kernel ports.
  holdsPortsItself: true,
  configKind: 'ovs-patch',
  rank: OVS_RANK,
  immutable: [],
  disruptive: ['peer'],
  internal: ROW_INTERNAL,
  equal: equalIgnoring(ROW_INTERNAL),
  schema: z.object({ kind: z.literal('ovs-patch'), peer: ovsName.describe('the patch port at the other end, on another OVS bridge (options:peer)') }).strict(),
  nameSchema: ovsName,
  idOf: patchId,
  matches: () => false,
  fromConfig: (name, e) => ({ attrs: { peer: e.peer }, deps: [{ id: portId(name), via: 'port', mode: 'recreate' }] }),
  portResources(name, e, file) {
    const r = onSomeBridge(name, file);
    const other = file.get(e.peer);
    if (e.peer === name) r.diagnostics.push({ severity: 'error', message: `patch port ${name} names itself as its peer`, hint: 'a patch port pairs with one on another bridge: p-ab {peer: p-ba} and p-ba {peer: p-ab}', path: ['interfaces', name, 'peer'] });
    else if (other && (other.kind.name !== 'ovs-patch' || other.entry.peer !== name))
      r.diagnostics.push({ severity: 'error', message: `patch port ${name} has peer ${e.peer}, but ${e.peer} ${other.kind.name === 'ovs-patch' ? `has peer ${other.entry.peer}` : `is a ${other.kind.name}`}`, hint: `the two ends name each other: ${e.peer}: {kind: ovs-patch, peer: ${name}}`, path: ['interfaces', name, 'peer'] });
    return r;
  },
  fromLive: () => [],
  create: (r) => {
    const name = nameOf(r.id);
    const foreign = foreignSets(r);
    return [...setRow('Interface', name, [{ name: 'peer', after: r.attrs.peer }], PATCH_COLS, () => false, { target: r }), ...(foreign.length ? [ovsOp('set', 'Interface', name, ...foreign)] : [])];
  },
  update: (d, l, changes) => setRow('Interface', nameOf(d.id), changes, PATCH_COLS, () => false, { live: l, target: d }),
  delete: () => [], // the port's del-port removes its interface
};
