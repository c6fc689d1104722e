// plan: Change[] → ordered Operation[]. Deletions run first, dependents before what they hang on;
// then creations and updates, dependencies first. One graph orders every kind.
import type { Change, DesiredState, LiveState, Operation, Plan } from '../model.js';
import { NETHOST_ALIAS_EXISTING } from '../model.js';
import { kindOf } from '../registry/kinds.js';
import type { OpContext, OpSpec } from '../kinds/types.js';
import { topoSort, type GraphNode } from './graph.js';

interface Node extends GraphNode {
  ops: Operation[];
  rank: number;
  resource: string;
}

const pad = (n: number) => String(n).padStart(3, '0');

/** Changes → an ordered plan. Always given the live state the changes were made against: kinds read
 *  it to order what the kernel needs (a bond's ports released before its mode changes). */
export function buildPlan(changes: Change[], desired: DesiredState, live: LiveState): Plan {
  const netns = live.netns;
  // Links that really go away (an `ethernet` is only released, so what hangs on it must be removed explicitly).
  const deleting = new Set(
    changes
      .filter(
        (c) =>
          (c.action === 'delete' || c.action === 'replace') &&
          kindOf(c.before!.kind).creatable !== false &&
          c.before!.attrs.mark !== NETHOST_ALIAS_EXISTING,
      )
      .map((c) => c.id),
  );
  const ctx: OpContext = { desired, live, deleting, kindOf };
  const dels: Node[] = [];
  const puts: Node[] = [];
  const delAfter = new Map<string, string[]>();
  const changed = new Set(changes.map((c) => c.id));

  const mk = (c: Change, phase: Operation['phase'], specs: OpSpec[]): Operation[] =>
    specs.map((s) => ({
      resource: c.id,
      action: c.action,
      phase: s.phase ?? phase,
      backend: s.backend,
      ...(s.options ? { options: s.options } : {}),
      args: s.args,
      disruptive: s.disruptive || c.disruptive,
    }));

  for (const c of changes) {
    const k = kindOf((c.after ?? c.before)!.kind);
    const rank = k.rank;
    if (c.action === 'delete' || c.action === 'replace') {
      const before = c.before!;
      const ops = mk(c, 'delete', kindOf(before.kind).delete(before, ctx));
      dels.push({ id: c.id, after: [], ops, rank, resource: c.id });
      // A dependent goes before what it depends on.
      for (const d of before.deps) {
        if (!changed.has(d.id)) continue;
        let list = delAfter.get(d.id);
        if (!list) delAfter.set(d.id, (list = []));
        list.push(c.id);
      }
    }
    if (c.action !== 'delete') {
      const after = c.after!;
      let specs: OpSpec[];
      if (c.action === 'create' || c.action === 'replace') specs = k.create(after, ctx);
      else specs = k.update(after, c.before!, c.attrs, ctx);
      puts.push({
        id: c.id,
        after: after.deps.map((d) => d.id).filter((id) => changed.has(id)),
        ops: mk(c, 'put', specs),
        rank,
        resource: c.id,
      });
    }
  }
  for (const n of dels) n.after = delAfter.get(n.id) ?? [];

  const orderedDels = topoSort(dels, (n) => pad(999 - n.rank) + n.id);
  const orderedPuts = topoSort(puts, (n) => pad(n.rank) + n.id);
  const ordered = [...orderedDels, ...orderedPuts].flatMap((n) => n.ops);
  const operations = [...ordered.filter((o) => o.phase !== 'late'), ...ordered.filter((o) => o.phase === 'late')];
  const order = new Map([...orderedDels, ...orderedPuts].map((n, i) => [n.resource, i]));
  const sorted = [...changes].sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  const leftAlone: string[] = [];
  for (const r of live.resources.values()) {
    const note = kindOf(r.kind).leftAlone?.(r, desired);
    if (note) leftAlone.push(note);
  }
  return { netns, changes: sorted, operations, ...(leftAlone.length ? { leftAlone } : {}) };
}
