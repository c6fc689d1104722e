// The ordering rules, in the order they apply (each adds edges; a later one sees the earlier ones'):
import type { OrderRule } from './rule.js';
import { interfaceFieldFirst } from './interface-field.js';
import { masterFirst } from './master.js';
import { tunnelLocalFirst } from './tunnel-local.js';
import { portOrder } from './port-order.js';

export const ORDER_RULES: readonly OrderRule[] = [
  interfaceFieldFirst, // a guarded port waits for the firewall that guards it
  masterFirst, // a port waits for its master
  tunnelLocalFirst, // a tunnel waits for the address that holds its local
  portOrder, // last: it must see every other edge to avoid making a cycle
];
