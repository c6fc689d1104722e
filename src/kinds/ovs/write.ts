// What the Open vSwitch kinds share when they write rows: the columns an attribute maps to, the
// ops that bring a row to its attributes, the map keys recorded on it, and the port settings schema.
import { z } from 'zod';
import type { AttrChange, Resource } from '../../model.js';
import type { LinkKind, OpSpec } from '../types.js';
import { assign, nameOf, OVS_KEYS_KEY, OVS_MARK, OVS_MARK_KEY, ovsOp, ovsCarried } from './common.js';

export const vlan = z.number().int().min(0).max(4095);
export const stateField = z
  .enum(['up', 'down'])
  .default('up')
  .describe('administrative state of its kernel device; default up');

export const portSettings = z
  .object({
    tag: vlan.optional().describe('access port on this VLAN (0–4095)'),
    trunks: z.array(vlan).optional().describe('VLANs a trunk port carries; absent: all'),
    vlan_mode: z
      .enum(['trunk', 'access', 'native-tagged', 'native-untagged', 'dot1q-tunnel'])
      .optional()
      .describe("OVS's vlan_mode; absent: access with a tag, else trunk"),
  })
  .strict()
  .nullable();

export const ipLink = (name: string, state: unknown): OpSpec => ({
  backend: 'ip',
  args: ['link', 'set', 'dev', name, String(state)],
  disruptive: state === 'down',
});

/** Ops that bring a row's columns to `attrs`, for the changed ones. `col` maps an attribute to its
 *  column (`tag`, `other_config:stp-priority`); `clear` values are written by removing the column
 *  or map key (the canonical default). With `record`, the map keys set are recorded on the row
 *  (external_ids:nethost-keys, from the live row's record); a key going back to its default that
 *  someone else had set (the rollback target's `foreign`) gets that value back instead. */
export function setRow(
  table: string,
  name: string,
  changes: { name: string; after: unknown }[],
  col: Record<string, string>,
  isDefault: (attr: string, v: unknown) => boolean,
  record?: { live?: Resource; target: Resource },
): OpSpec[] {
  const sets: string[] = [];
  const ops: OpSpec[] = [];
  const before = new Set(ovsCarried(record?.live).keys ?? []);
  const keys = new Set(before);
  const foreign = new Map(Object.entries(ovsCarried(record?.target).foreign ?? {}));
  for (const c of changes) {
    const column = col[c.name];
    if (!column) continue;
    const [base, key] = column.split(':');
    const recorded = !!record && key !== undefined && base !== 'external_ids';
    if (c.after === null || c.after === undefined || isDefault(c.name, c.after)) {
      if (recorded && foreign.has(column)) sets.push(`${column}=${JSON.stringify(foreign.get(column))}`);
      else ops.push(key ? ovsOp('remove', table, name, base, key) : ovsOp('clear', table, name, base));
      keys.delete(column);
    } else {
      sets.push(assign(column, c.after as any));
      if (recorded) keys.add(column);
    }
  }
  if (record && (keys.size !== before.size || [...keys].some((k) => !before.has(k)))) {
    if (keys.size) sets.push(`external_ids:${OVS_KEYS_KEY}=${JSON.stringify([...keys].sort().join(','))}`);
    else ops.push(ovsOp('remove', table, name, 'external_ids', OVS_KEYS_KEY));
  }
  return sets.length ? [ovsOp('set', table, name, ...sets), ...ops] : ops;
}

/** Someone else's values of managed keys on a row a rollback recreates: written back, not recorded. */
export const foreignSets = (r: Resource) =>
  Object.entries(ovsCarried(r).foreign ?? {}).map(([k, v]) => `${k}=${JSON.stringify(v)}`);

export const markChange = (changes: AttrChange[]) =>
  changes.filter((c) => c.name === 'mark').map((c) => ({ name: 'mark', after: c.after === null ? null : OVS_MARK }));

export const portNames = (ports: unknown): string[] =>
  Array.isArray(ports) ? ports : ports && typeof ports === 'object' ? Object.keys(ports) : [];

export const unmarkedInterfaces = (r: Resource): string[] => ovsCarried(r).unmarkedInterfaces ?? [];
/** Someone else's members of a bond of nethost's (del-port and del-br would take them). */
export const foreignInterfaces = (r: Resource): string[] =>
  r.owned && r.attrs.type === 'bond' ? unmarkedInterfaces(r) : [];
export const markIface = (iface: string) =>
  ovsOp('set', 'Interface', iface, assign(`external_ids:${OVS_MARK_KEY}`, OVS_MARK));
export const unmarkIface = (iface: string) => ovsOp('remove', 'Interface', iface, 'external_ids', OVS_MARK_KEY);

// ─── kernel devices of bridges and internal ports ─────────────────────────────────────────────────

export const deviceOps = {
  fromLive: () => [],
  create: (r: Resource) => (r.attrs.state === 'up' ? [ipLink(nameOf(r.id), 'up')] : []),
  update: (d: Resource, _l: Resource, changes: AttrChange[]) =>
    changes.filter((c) => c.name === 'state').map((c) => ipLink(nameOf(d.id), c.after)),
  // OVS removes the device with its row.
  delete: () => [],
};

export function onSomeBridge(name: string, file: Map<string, { kind: LinkKind; entry: any }>) {
  const on = [...file.values()].some(
    ({ kind, entry }) => kind.name === 'ovs-bridge' && portNames(entry.ports).includes(name),
  );
  const me = file.get(name)!;
  return {
    resources: [],
    diagnostics: on
      ? []
      : [
          {
            severity: 'error' as const,
            message: `${me.kind.name} ${name} is not a port of any ovs-bridge`,
            hint: `list it in the ports of an ovs-bridge, e.g. ports: {${name}: {}}`,
            path: ['interfaces', name],
          },
        ],
  };
}
