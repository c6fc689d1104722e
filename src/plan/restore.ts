// What a rollback must put back, and how to tell whether it did. Pure.
//
// The scope of an apply is every object its plan names plus everything that hangs on them, in the
// snapshot and now: the kernel drops addresses and routes with a link that goes down (IPv6) or is
// recreated, detaches ports from a master, and so on. Restoring is planning from the snapshot to
// now within that scope; "restored" means a full comparison of the scope against the snapshot is
// empty.
import { showValue } from '../util/text.js';
import type { Change, LiveState, Plan, Resource } from '../model.js';
import { describe } from '../render/describe.js';
import { reasonsLine } from '../render/reasons.js';
import { kindOf } from '../registry/kinds.js';
import { indexDependents } from './graph.js';

/** Plan ids, closed over "depends on" in each state given (any kind of dependency). */
export function restoreScope(ids: Iterable<string>, ...states: LiveState[]): Set<string> {
  const scope = new Set(ids);
  const dependents = indexDependents(states.flatMap((s) => [...s.resources.values()]));
  const work = [...scope];
  while (work.length) {
    const id = work.pop()!;
    for (const { id: dep } of dependents.get(id) ?? []) if (!scope.has(dep)) scope.add(dep), work.push(dep);
  }
  return scope;
}

/**
 * Links the plan creates whose creating command may have run before `cutoff` (an operation index):
 * the kernel sets a link's alias only after creating it, so one of them found unmarked, of the
 * planned kind, is the apply's own and goes with the rollback. A veth end is created by its peer's.
 */
export function createdBefore(plan: Plan, cutoff: number): Set<string> {
  const first = new Map<string, number>();
  plan.operations.forEach((o, i) => first.has(o.resource) || first.set(o.resource, i));
  const out = new Set<string>();
  for (const c of plan.changes) {
    if ((c.action !== 'create' && c.action !== 'replace') || !c.id.startsWith('link:')) continue;
    const starts = [c.id, ...(c.after?.deps ?? []).filter((d) => d.via === 'peer').map((d) => d.id)].map(
      (id) => first.get(id) ?? Infinity,
    );
    if (Math.min(...starts) < cutoff) out.add(c.id);
  }
  return out;
}

/** `now`, with the unmarked links that `createdBefore` names counted as nethost's. */
export function claimUnmarked(
  now: LiveState,
  snapshot: LiveState,
  plan: Pick<Plan, 'changes'>,
  created: Set<string>,
): LiveState {
  if (!created.size) return now;
  const planned = new Map(plan.changes.map((c) => [c.id, c.after?.kind]));
  const resources = new Map(now.resources);
  for (const id of created) {
    const r = resources.get(id);
    if (
      r &&
      !r.owned &&
      !snapshot.resources.has(id) &&
      r.kind === planned.get(id) &&
      (r.attrs.mark === null || r.attrs.mark === undefined)
    )
      resources.set(id, { ...r, owned: true });
  }
  return { ...now, resources };
}

export interface RestoreReport {
  /** What still differs from the snapshot, in words (empty: restored). */
  differences: string[];
  /** Objects in scope now that the snapshot did not have and that are not nethost's, and what a
   *  rollback cannot put back by design: left alone. */
  leftAlone: string[];
}

const show = (v: unknown) => showValue(v, true);

/** The words for what a restore plan still wants, and for foreign objects that appeared meanwhile. */
export function restoreReport(
  remaining: Change[],
  snapshot: LiveState,
  now: LiveState,
  scope: Set<string>,
): RestoreReport {
  const leftAlone: string[] = [];
  const differences = remaining.flatMap((c) => {
    const note = kindOf((c.after ?? c.before)!.kind).unrestorable?.(c);
    if (note) return (leftAlone.push(`${describe((c.after ?? c.before)!)}: ${note}`), []);
    const r = (c.after ?? c.before)!;
    if (c.action === 'create') return `${describe(r)} is missing`;
    if (c.action === 'delete') return `${describe(r)} is still there`;
    const kind = kindOf(r.kind);
    if (kind.summarise) return `${describe(r)}: ${kind.summarise(c)} (to get back to the snapshot)`;
    const attrs = c.attrs.map((a) => `${a.name} ${show(a.before)} (snapshot: ${show(a.after)})`);
    return `${describe(r)}: ${attrs.join(', ') || reasonsLine(c.reasons) || c.action}`;
  });
  for (const id of scope) {
    const r: Resource | undefined = now.resources.get(id);
    if (r && !snapshot.resources.has(id) && !r.owned)
      leftAlone.push(`${describe(r)} (not nethost's, appeared during the apply)`);
  }
  return { differences, leftAlone };
}
