// One dependency graph orders everything: nodes name what must come before them (`after`), and the
// order is the topological one, ties broken by a stable key so that the same input gives the same plan.

/** Who depends on each id: every item whose `deps` name it, in the order given. */
export function indexDependents<T extends { deps: readonly { id: string }[] }>(items: Iterable<T>): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of items)
    for (const d of r.deps) {
      const list = out.get(d.id);
      if (list) list.push(r);
      else out.set(d.id, [r]);
    }
  return out;
}

export interface GraphNode {
  id: string;
  after: string[];
}

/** A cycle as a list of ids (first repeated at the end), or undefined. Iterative DFS: deep stacks are fine. */
export function findCycle(nodes: GraphNode[]): string[] | undefined {
  const edges = new Map(nodes.map((n) => [n.id, n.after]));
  const state = new Map<string, 1 | 2>(); // 1 on stack, 2 done
  for (const start of nodes) {
    if (state.has(start.id)) continue;
    const stack: { id: string; i: number }[] = [{ id: start.id, i: 0 }];
    state.set(start.id, 1);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const next = (edges.get(top.id) ?? [])[top.i++];
      if (next === undefined) {
        state.set(top.id, 2);
        stack.pop();
        continue;
      }
      if (!edges.has(next)) continue;
      const s = state.get(next);
      if (s === 1) {
        const from = stack.findIndex((f) => f.id === next);
        return [...stack.slice(from).map((f) => f.id), next];
      }
      if (s === undefined) {
        state.set(next, 1);
        stack.push({ id: next, i: 0 });
      }
    }
  }
  return undefined;
}

/** Min-heap on a string key: keeps the sort O(n log n) for large plans. */
class Heap<T> {
  private a: T[] = [];
  constructor(private readonly less: (x: T, y: T) => boolean) {}
  get size() {
    return this.a.length;
  }
  push(x: T) {
    const a = this.a;
    a.push(x);
    let i = a.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(a[i], a[p])) break;
      const t = a[i];
      a[i] = a[p];
      a[p] = t;
      i = p;
    }
  }
  pop(): T {
    const a = this.a;
    const top = a[0];
    const last = a.pop()!;
    if (a.length) {
      a[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && this.less(a[l], a[m])) m = l;
        if (r < a.length && this.less(a[r], a[m])) m = r;
        if (m === i) break;
        const t = a[i];
        a[i] = a[m];
        a[m] = t;
        i = m;
      }
    }
    return top;
  }
}

/**
 * Kahn's algorithm. Edges to ids not in the graph are ignored (they are already satisfied).
 * Throws on a cycle, naming it.
 */
export function topoSort<N extends GraphNode>(nodes: N[], tieKey: (n: N) => string): N[] {
  // Nodes by position: plans hold tens of thousands of nodes, and this runs for every plan.
  const index = new Map<string, number>();
  nodes.forEach((n, i) => index.set(n.id, i));
  const indegree = new Int32Array(nodes.length);
  const dependents: number[][] = new Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    for (const a of nodes[i].after) {
      const j = index.get(a);
      if (j === undefined || j === i) continue;
      indegree[i]++;
      (dependents[j] ??= []).push(i);
    }
  }
  const keys = nodes.map(tieKey);
  const heap = new Heap<number>((x, y) => keys[x] < keys[y]);
  for (let i = 0; i < nodes.length; i++) if (indegree[i] === 0) heap.push(i);
  const out: N[] = [];
  while (heap.size) {
    const i = heap.pop();
    out.push(nodes[i]);
    for (const d of dependents[i] ?? []) if (--indegree[d] === 0) heap.push(d);
  }
  if (out.length !== nodes.length) {
    const cycle = findCycle(nodes.filter((_, i) => indegree[i] > 0));
    throw new Error(`dependency cycle: ${(cycle ?? []).join(' → ')}`);
  }
  return out;
}
