import { linkId } from '../../model.js';
import type { OrderRule } from './rule.js';

/** Ports join their master in the file's order: the kernel numbers bridge ports as they join,
 *  which STP uses to break ties, and a bond's first port becomes the active one where primary is
 *  unset. Each port waits for the one listed before it, unless that one already waits for it. */
export const portOrder: OrderRule = {
  name: "ports in the file's order",
  why: 'port numbers (STP ties) and the active bond port follow the order ports join',
  apply({ resources, interfaces, masterOf }) {
    const reaches = (from: string, to: string): boolean => {
      const seen = new Set<string>([from]);
      const stack = [from];
      while (stack.length) {
        for (const d of resources.get(stack.pop()!)?.deps ?? []) {
          if (d.id === to) return true;
          if (!seen.has(d.id)) seen.add(d.id), stack.push(d.id);
        }
      }
      return false;
    };
    // Nothing can reach a resource nothing depends on: the search runs only for those (without this,
    // each port searched back through the whole chain of ports before it, quadratic in a bridge's ports).
    const dependedOn = new Set<string>();
    for (const r of resources.values()) for (const d of r.deps) dependedOn.add(d.id);
    for (const [, { entry }] of interfaces) {
      const ports: string[] = entry.ports ?? [];
      for (let i = 1; i < ports.length; i++) {
        const [prev, cur] = [linkId(ports[i - 1]), linkId(ports[i])];
        if (
          masterOf.get(ports[i]) !== masterOf.get(ports[i - 1]) ||
          !resources.has(prev) ||
          !resources.has(cur) ||
          (dependedOn.has(cur) && reaches(prev, cur))
        )
          continue;
        resources.get(cur)!.deps.push({ id: prev, via: 'port order', mode: 'order' });
        dependedOn.add(prev);
      }
    }
  },
};
