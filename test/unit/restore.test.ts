// The pure parts of rollback: the scope of an apply, links created but not yet marked, the report
// of what still differs, and the snapshot's round trip through the journal's JSON.
import { describe, expect, it } from 'vitest';
import { desired, fileText, live, plan } from './fixtures.js';
import { claimUnmarked, createdBefore, restoreReport, restoreScope } from '../../src/plan/restore.js';
import { liveFromJson, liveToJson } from '../../src/exec/serial.js';
import { diff } from '../../src/diff/diff.js';
import type { DesiredState, LiveState } from '../../src/model.js';

describe('restoreScope', () => {
  it("closes the plan's ids over everything that hangs on them, in the snapshot and now", () => {
    const l = live('rich');
    const links = [...l.resources.values()].filter((r) => r.id.startsWith('link:'));
    const master = links.find((r) => links.some((p) => p.attrs.master === r.id.slice(5)))!;
    const scope = restoreScope([master.id], l);
    // Its ports, their addresses and routes, the master's own addresses: all in scope.
    for (const r of l.resources.values()) {
      const onIt = r.deps.some((d) => d.id === master.id);
      if (onIt) expect(scope.has(r.id), r.id).toBe(true);
    }
    for (const id of scope) {
      if (id === master.id) continue;
      const r = l.resources.get(id)!;
      expect(
        r.deps.some((d) => scope.has(d.id)),
        `${id} is in scope only through a dependency`,
      ).toBe(true);
    }
    // Something unrelated stays out.
    expect([...l.resources.keys()].some((id) => !scope.has(id))).toBe(true);
  });

  it('adds what exists only now (created during the apply) as well as what only the snapshot had', () => {
    const before = live('empty');
    const after = live('applied');
    const d = desired(fileText('applied'));
    const p = plan(d, before);
    const ids = p.changes.map((c) => c.id);
    const scope = restoreScope(ids, before, after);
    for (const r of after.resources.values())
      if (r.deps.some((x) => ids.includes(x.id))) expect(scope.has(r.id)).toBe(true);
  });
});

describe('createdBefore / claimUnmarked', () => {
  it('names the links whose creating operation lies before the cutoff, and a veth end with its peer', () => {
    const d = desired(
      'version: 1\ninterfaces:\n  br0: {kind: bridge}\n  v0: {kind: veth, peer: v1}\n  v1: {kind: veth, peer: v0}\n  tap0: {kind: tap}\n',
    );
    const p = plan(d, live('empty'));
    const at = (id: string) => p.operations.findIndex((o) => o.resource === id);
    expect([...createdBefore(p, 0)]).toEqual([]);
    const all = createdBefore(p, p.operations.length);
    expect([...all].sort()).toEqual(['link:br0', 'link:tap0', 'link:v0', 'link:v1']);
    const creator = Math.min(at('link:v0'), at('link:v1'));
    expect(createdBefore(p, creator + 1).has('link:v0') && createdBefore(p, creator + 1).has('link:v1')).toBe(true);
  });

  it("claims an unmarked link of the planned kind, never one of another kind or one that carries someone's alias", () => {
    const d = desired('version: 1\ninterfaces:\n  br0: {kind: bridge}\n  tap0: {kind: tap}\n');
    const empty = live('empty');
    const p = plan(d, empty);
    const now: LiveState = {
      ...empty,
      resources: new Map([
        ...empty.resources,
        ['link:br0', { id: 'link:br0', kind: 'bridge', attrs: { mark: null }, owned: false, deps: [] }],
        ['link:tap0', { id: 'link:tap0', kind: 'bridge', attrs: { mark: null }, owned: false, deps: [] }],
      ]),
    };
    const claimed = claimUnmarked(now, empty, p, createdBefore(p, p.operations.length));
    expect(claimed.resources.get('link:br0')!.owned).toBe(true);
    expect(claimed.resources.get('link:tap0')!.owned).toBe(false); // a bridge where a tap was planned: someone else's
    now.resources.set('link:br0', {
      id: 'link:br0',
      kind: 'bridge',
      attrs: { mark: 'uplink to rack 3' },
      owned: false,
      deps: [],
    });
    expect(claimUnmarked(now, empty, p, createdBefore(p, p.operations.length)).resources.get('link:br0')!.owned).toBe(
      false,
    );
  });
});

describe('restoreReport', () => {
  it('words each remaining difference and lists foreign newcomers as left alone', () => {
    const snapshot = live('applied');
    const target: DesiredState = { file: '(snapshot)', resources: snapshot.resources };
    const now = live('empty');
    const scope = restoreScope([...snapshot.resources.keys()], snapshot, now);
    const changes = diff(target, now, { scope });
    const r = restoreReport(changes, snapshot, now, scope);
    expect(r.differences.length).toBe(changes.length);
    expect(r.differences.some((s) => / is missing$/.test(s))).toBe(true);
    const same = restoreReport([], snapshot, snapshot, scope);
    expect(same).toEqual({ differences: [], leftAlone: [] });
  });
});

describe('the snapshot in the journal', () => {
  it('round-trips through JSON exactly', () => {
    for (const s of ['empty', 'rich', 'applied'] as const) {
      const l = live(s);
      const back = liveFromJson(JSON.parse(JSON.stringify(liveToJson(l))));
      expect([...back.resources.entries()]).toEqual([...l.resources.entries()]);
      expect([...back.linkNames]).toEqual([...l.linkNames]);
      expect(back.addresses).toEqual(l.addresses);
      expect(back.netns).toBe(l.netns);
    }
  });
  it('refuses what is not a serialised state', () => {
    expect(() => liveFromJson({} as any)).toThrow(/not a serialised live state/);
  });
});

describe("a name for nethost's protocol number", () => {
  it("in rt_protos (ip -j then prints the name) still reads as nethost's mark", async () => {
    const { raw, facts } = await import('./fixtures.js');
    const { normaliseLive } = await import('../../src/live/normalise.js');
    const r = raw('applied');
    const named = {
      ...r,
      routes4: r.routes4.map((x) => (x.protocol === '232' ? { ...x, protocol: 'nethost' } : x)),
      routes6: r.routes6.map((x) => (x.protocol === '232' ? { ...x, protocol: 'nethost' } : x)),
    };
    const ours = (l: ReturnType<typeof normaliseLive>) =>
      [...l.resources.values()]
        .filter((x) => x.kind === 'route' && x.owned)
        .map((x) => x.id)
        .sort();
    const expected = ours(normaliseLive(r, facts(), 'x'));
    expect(expected.length).toBeGreaterThan(0);
    expect(ours(normaliseLive(named, facts(), 'x'))).toEqual([]); // without the name: not recognised
    expect(ours(normaliseLive(named, { ...facts(), protos: { nethost: 232 } }, 'x'))).toEqual(expected);
  });
});
