import { linkId } from '../../model.js';
import type { OrderRule } from './rule.js';

/** A kernel port joins its master after the master exists, and is re-attached when the master is
 *  recreated (`attach`): membership is written once, as the master's `ports`. */
export const masterFirst: OrderRule = {
  name: 'master before its ports',
  why: 'ip link set PORT master M needs M; a recreated master loses its ports',
  apply({ resources, masterOf, idOf }) {
    for (const [port, master] of masterOf)
      resources.get(idOf(port))?.deps.push({ id: linkId(master), via: 'master', mode: 'attach' });
  },
};
