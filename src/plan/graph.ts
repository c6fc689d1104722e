// One dependency graph orders everything: nodes name what must come before them (`after`), and the
// order is the topological one, ties broken by a stable key so that the same input gives the same plan.

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
      [a[i], a[p]] = [a[p], a[i]];
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
        [a[i], a[m]] = [a[m], a[i]];
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
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const indegree = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  for (const n of nodes) {
    let d = 0;
    for (const a of n.after) {
      if (!byId.has(a) || a === n.id) continue;
      d++;
      let list = dependents.get(a);
      if (!list) dependents.set(a, (list = []));
      list.push(n.id);
    }
    indegree.set(n.id, d);
  }
  const keys = new Map(nodes.map((n) => [n.id, tieKey(n)]));
  const heap = new Heap<N>((x, y) => keys.get(x.id)! < keys.get(y.id)!);
  for (const n of nodes) if (indegree.get(n.id) === 0) heap.push(n);
  const out: N[] = [];
  while (heap.size) {
    const n = heap.pop();
    out.push(n);
    for (const d of dependents.get(n.id) ?? []) {
      const left = indegree.get(d)! - 1;
      indegree.set(d, left);
      if (left === 0) heap.push(byId.get(d)!);
    }
  }
  if (out.length !== nodes.length) {
    const cycle = findCycle(nodes.filter((n) => indegree.get(n.id)! > 0));
    throw new Error(`dependency cycle: ${(cycle ?? []).join(' → ')}`);
  }
  return out;
}
