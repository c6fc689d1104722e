import type { OrderRule } from './rule.js';

/** A tunnel's (or vxlan's) `local` must exist before the tunnel comes up (a multicast GRE refuses
 *  to open without it): it goes after the address that holds it, wherever the file declares that. */
export const tunnelLocalFirst: OrderRule = {
  name: 'local address before its tunnel',
  why: 'the kernel refuses to open a tunnel whose local address is not yet on a link',
  apply({ resources, interfaces, addressOfIp, idOf }) {
    for (const [name] of interfaces) {
      const me = resources.get(idOf(name))!;
      const local = typeof me.attrs.local === 'string' ? addressOfIp.get(me.attrs.local) : undefined;
      if (local && !local.startsWith(`address:${name}:`)) me.deps.push({ id: local, via: 'local', mode: 'order' });
    }
  },
};
