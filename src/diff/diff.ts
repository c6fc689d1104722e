// diff: DesiredState × LiveState → Change[]. Pure. Attributes the file leaves unset (undefined) and
// attributes the kernel does not report are never compared, so silence is never drift.
import type { AttrChange, AttrValue, Change, ChangeReason, DesiredState, LiveState, Resource } from '../model.js';
import { NETHOST_ALIAS_EXISTING } from '../model.js';
import { isLinkKind, kindOf } from '../registry/kinds.js';
import { indexDependents } from '../plan/graph.js';

export interface DiffOptions {
  /** Restoring a snapshot: only these ids are looked at, and every one of them is nethost's. */
  scope?: Set<string>;
}

const DISRUPTIVE_ATTRS = new Set(['mac', 'master']);

function equal(a: AttrValue | undefined, b: AttrValue | undefined): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

function compare(d: Resource, l: Resource): AttrChange[] {
  const kind = kindOf(d.kind);
  const out: AttrChange[] = [];
  for (const [name, want] of Object.entries(d.attrs)) {
    if (want === undefined) continue;
    const have = l.attrs[name];
    if (have === undefined) continue;
    const same = kind.equal ? kind.equal(name, want, have) : equal(want, have);
    if (!same)
      out.push({
        name,
        before: have,
        after: want,
        forcesReplace: kind.immutable.includes(name) || !!kind.replaceWhen?.(name, have, want),
      });
  }
  return out;
}

function allAttrs(r: Resource, side: 'before' | 'after'): AttrChange[] {
  return Object.entries(r.attrs)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([name, v]) => ({
      name,
      before: side === 'before' ? v : undefined,
      after: side === 'after' ? v : undefined,
      forcesReplace: false,
    }));
}

export function diff(desired: DesiredState, live: LiveState, opts: DiffOptions = {}): Change[] {
  const inScope = (id: string) => !opts.scope || opts.scope.has(id);
  const changes = new Map<string, Change>();

  for (const d of desired.resources.values()) {
    if (!inScope(d.id)) continue;
    const l = live.resources.get(d.id);
    if (!l) {
      changes.set(d.id, {
        id: d.id,
        kind: d.kind,
        action: 'create',
        after: d,
        attrs: allAttrs(d, 'after'),
        reasons: [],
        disruptive: false,
      });
      continue;
    }
    if (kindOf(d.kind).satisfiedBy?.(d, l)) continue;
    // An existing device (a kind never created) is whatever the kernel has.
    const kindChanged = d.kind !== l.kind && kindOf(d.kind).creatable !== false;
    const attrs = kindChanged ? allAttrs(d, 'after') : compare(d, l);
    if (!attrs.length && !kindChanged) continue;
    const replace = kindChanged || attrs.some((a) => a.forcesReplace && a.name !== 'mark');
    const adopting = attrs.some((a) => a.name === 'mark') && !l.owned && !opts.scope;
    const reasons: ChangeReason[] = kindChanged
      ? [{ code: 'kind-changed', detail: { from: l.kind, to: d.kind } }]
      : attrs
          .filter((a) => a.forcesReplace && a.name !== 'mark')
          .map((a) => ({ code: 'immutable-attribute', detail: { attribute: a.name } }));
    const action = replace ? 'replace' : adopting ? 'adopt' : 'update';
    const link = isLinkKind(d.kind);
    changes.set(d.id, {
      id: d.id,
      kind: d.kind,
      action,
      before: l,
      after: d,
      attrs,
      reasons,
      disruptive:
        link &&
        (replace ||
          attrs.some(
            (a) =>
              DISRUPTIVE_ATTRS.has(a.name) ||
              kindOf(d.kind).disruptive?.includes(a.name) ||
              (a.name === 'state' && a.after === 'down'),
          )),
    });
  }

  for (const l of live.resources.values()) {
    if (desired.resources.has(l.id) || !inScope(l.id)) continue;
    const kind = kindOf(l.kind);
    // Restoring a snapshot deletes only what carries nethost's mark: never what appeared behind its back.
    const managed = opts.scope ? l.owned : kind.manages ? kind.manages(l, desired) : l.owned;
    if (!managed) continue;
    changes.set(l.id, {
      id: l.id,
      kind: l.kind,
      action: 'delete',
      before: l,
      attrs: allAttrs(l, 'before'),
      reasons: [],
      disruptive: isLinkKind(l.kind) && kind.creatable !== false && l.attrs.mark !== NETHOST_ALIAS_EXISTING,
    });
  }

  cascade(changes, desired, live);
  return [...changes.values()];
}

/** What the kernel does to dependents when a link is recreated: take them with it, or drop the attachment. */
function cascade(changes: Map<string, Change>, desired: DesiredState, live: LiveState) {
  const dependents = indexDependents(desired.resources.values());
  const work = [...changes.values()].filter((c) => c.action === 'replace').map((c) => c.id);
  while (work.length) {
    const id = work.pop()!;
    for (const r of dependents.get(id) ?? []) {
      const l = live.resources.get(r.id);
      if (!l) continue; // created anyway
      const dep = r.deps.find((d) => d.id === id)!;
      const c = changes.get(r.id);
      if (c && (c.action === 'replace' || c.action === 'create' || c.action === 'delete')) continue;
      const dependency = id.replace(/^link:/, '');
      if (dep.mode === 'recreate') {
        changes.set(r.id, {
          id: r.id,
          kind: r.kind,
          action: 'replace',
          before: l,
          after: r,
          attrs: c?.attrs ?? [],
          reasons: [{ code: 'dependency-recreated', detail: { dependency } }],
          disruptive: isLinkKind(r.kind),
        });
        work.push(r.id);
      } else if (dep.mode === 'attach') {
        const attrs = (c?.attrs ?? []).filter((a) => a.name !== dep.via);
        attrs.push({ name: dep.via, before: null, after: r.attrs[dep.via], forcesReplace: false });
        changes.set(r.id, {
          id: r.id,
          kind: r.kind,
          action: c?.action ?? 'update',
          before: l,
          after: r,
          attrs,
          reasons: [...(c?.reasons ?? []), { code: 'reattached', detail: { dependency } }],
          disruptive: true,
        });
      }
    }
  }
}
