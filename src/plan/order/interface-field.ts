import type { OrderRule } from './rule.js';

/** An interface that sets a field a section kind adds (`guard:`) comes up only once that kind's
 *  resource is in place: a guarded VM port is never up without its guard (fail closed). */
export const interfaceFieldFirst: OrderRule = {
  name: 'interface field after its section (guard before port)',
  why: "a guarded port must not pass traffic before its guard's rules are loaded",
  apply({ resources, interfaces, interfaceFields, idOf }) {
    for (const [name, { entry }] of interfaces) {
      const me = resources.get(idOf(name));
      if (!me) continue;
      for (const f of interfaceFields) if (entry[f.field]) me.deps.push({ id: f.after, via: f.field, mode: 'order' });
    }
  },
};
