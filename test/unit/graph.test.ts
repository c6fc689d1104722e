// plan/graph: topological order with stable tie-breaking, cycle detection.
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { findCycle, topoSort, type GraphNode } from '../../src/plan/graph.js';

const n = (id: string, ...after: string[]): GraphNode => ({ id, after });
const ids = (xs: GraphNode[]) => xs.map((x) => x.id);
const byId = (x: GraphNode) => x.id;

/** Checks that a cycle as findCycle reports it is one: closed, and each step an edge. */
function isCycle(nodes: GraphNode[], cycle: string[]): boolean {
  const edges = new Map(nodes.map((x) => [x.id, new Set(x.after)]));
  if (cycle.length < 2 || cycle[0] !== cycle[cycle.length - 1]) return false;
  for (let i = 0; i + 1 < cycle.length; i++) if (!edges.get(cycle[i])?.has(cycle[i + 1])) return false;
  return true;
}

describe('topoSort', () => {
  it('puts every node after the ones it names', () => {
    const nodes = [n('c', 'b'), n('b', 'a'), n('a'), n('d', 'a', 'c')];
    expect(ids(topoSort(nodes, byId))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('breaks ties by the key, not by input order', () => {
    const nodes = [n('x'), n('m'), n('b'), n('q', 'x')];
    expect(ids(topoSort(nodes, byId))).toEqual(['b', 'm', 'x', 'q']);
    expect(ids(topoSort([...nodes].reverse(), byId))).toEqual(['b', 'm', 'x', 'q']);
    // a different key, a different (still valid) order
    expect(ids(topoSort(nodes, (x) => (x.id === 'x' ? '0' : '1' + x.id)))).toEqual(['x', 'b', 'm', 'q']);
  });

  it('a node becomes available as soon as its last dependency is placed, and then competes by key', () => {
    // z waits for a; once a is out, z (key "0z") beats b and c
    const nodes = [n('a'), n('b'), n('c'), n('z', 'a')];
    expect(ids(topoSort(nodes, (x) => (x.id === 'z' ? '0z' : '1' + x.id)))).toEqual(['a', 'z', 'b', 'c']);
  });

  it('ignores edges to ids outside the graph and to itself', () => {
    expect(ids(topoSort([n('a', 'gone'), n('b', 'a', 'b')], byId))).toEqual(['a', 'b']);
  });

  it('throws on a cycle, naming it', () => {
    expect(() => topoSort([n('a', 'c'), n('b', 'a'), n('c', 'b'), n('d')], byId)).toThrow(/dependency cycle: .*a.*→/);
    expect(() => topoSort([n('a', 'b'), n('b', 'a')], byId)).toThrow(/cycle/);
  });

  it('is empty for no nodes; keeps node objects', () => {
    expect(topoSort([], byId)).toEqual([]);
    const a = { id: 'a', after: [], extra: 1 };
    expect(topoSort([a], byId)[0]).toBe(a);
  });

  it('handles long chains (no recursion depth limit)', () => {
    const N = 20000;
    const nodes = Array.from({ length: N }, (_, i) => n(`n${i}`, ...(i ? [`n${i - 1}`] : [])));
    const out = topoSort([...nodes].reverse(), (x) => x.id);
    expect(out[0].id).toBe('n0');
    expect(out[N - 1].id).toBe(`n${N - 1}`);
  });

  // Random DAGs: edges only from a higher to a lower index, so there is never a cycle.
  const dag = fc
    .integer({ min: 1, max: 40 })
    .chain((size) =>
      fc.tuple(
        fc.constant(size),
        fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: size * 3 }),
        fc.array(fc.string({ maxLength: 3 }), { minLength: size, maxLength: size }),
      ),
    );

  it('property: every edge is respected, every node placed once, the result independent of input order', () => {
    fc.assert(
      fc.property(dag, fc.nat(), ([size, edges, keys], seed) => {
        const nodes = Array.from({ length: size }, (_, i) => n(`v${i}`));
        for (const [a, b] of edges) if (a > b) nodes[a].after.push(`v${b}`);
        const key = (x: GraphNode) => keys[Number(x.id.slice(1))] + '|' + x.id;
        const out = ids(topoSort(nodes, key));
        expect(new Set(out).size).toBe(size);
        const pos = new Map(out.map((id, i) => [id, i]));
        for (const x of nodes) for (const d of x.after) expect(pos.get(d)!).toBeLessThan(pos.get(x.id)!);
        // shuffled input, same output
        const shuffled = [...nodes].sort((p, q) => ((p.id.length * 31 + seed) % 7) - ((q.id.length * 17 + seed) % 5));
        expect(ids(topoSort(shuffled, key))).toEqual(out);
        expect(findCycle(nodes)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  it('property: the smallest-key node among those ready always goes first', () => {
    fc.assert(
      fc.property(dag, ([size, edges, keys]) => {
        const nodes = Array.from({ length: size }, (_, i) => n(`v${i}`));
        for (const [a, b] of edges) if (a > b) nodes[a].after.push(`v${b}`);
        const key = (x: GraphNode) => keys[Number(x.id.slice(1))] + '|' + x.id;
        const out = topoSort(nodes, key);
        const placed = new Set<string>();
        for (const x of out) {
          const ready = nodes.filter((y) => !placed.has(y.id) && y.after.every((d) => placed.has(d)));
          const best = ready.map(key).sort()[0];
          expect(key(x)).toBe(best);
          placed.add(x.id);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('findCycle', () => {
  it('none in a DAG, or with edges leaving the graph', () => {
    expect(findCycle([n('a'), n('b', 'a'), n('c', 'a', 'b')])).toBeUndefined();
    expect(findCycle([n('a', 'elsewhere')])).toBeUndefined();
    expect(findCycle([])).toBeUndefined();
  });

  it('a two-node cycle, closed', () => {
    const nodes = [n('br0', 'br1'), n('br1', 'br0')];
    const c = findCycle(nodes)!;
    expect(isCycle(nodes, c)).toBe(true);
    expect(c).toHaveLength(3);
  });

  it('a self loop', () => {
    const nodes = [n('a', 'a')];
    expect(findCycle(nodes)).toEqual(['a', 'a']);
  });

  it('a cycle behind a DAG prefix is reported without the prefix', () => {
    const nodes = [n('start', 'x'), n('x', 'y'), n('y', 'z'), n('z', 'x')];
    const c = findCycle(nodes)!;
    expect(isCycle(nodes, c)).toBe(true);
    expect(c).not.toContain('start');
    expect(new Set(c)).toEqual(new Set(['x', 'y', 'z']));
  });

  it('property: a cycle exists exactly when topoSort throws, and what findCycle names is one', () => {
    const graph = fc
      .integer({ min: 1, max: 12 })
      .chain((size) =>
        fc.tuple(fc.constant(size), fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: size * 2 })),
      );
    fc.assert(
      fc.property(graph, ([size, edges]) => {
        const nodes = Array.from({ length: size }, (_, i) => n(`v${i}`));
        for (const [a, b] of edges) if (a !== b) nodes[a].after.push(`v${b}`);
        const cycle = findCycle(nodes);
        let threw = false;
        try {
          topoSort(nodes, byId);
        } catch {
          threw = true;
        }
        expect(threw).toBe(cycle !== undefined);
        if (cycle) expect(isCycle(nodes, cycle)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
