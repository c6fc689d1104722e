// An ordering rule adds dependency edges that no single kind can see: they come from how entries
// of the file relate (a port and its master, a tunnel and the address that holds its `local`). Each
// rule is one module here; ./rules.ts lists them in the order they apply.
import type { Resource } from '../../model.js';
import type { LinkKind } from '../../kinds/types.js';

export interface OrderContext {
  resources: ReadonlyMap<string, Resource>;
  /** The file's valid interface entries, with their kinds, in the file's order. */
  interfaces: ReadonlyMap<string, { kind: LinkKind; entry: any }>;
  /** Kernel ports by name → their master's name (Open vSwitch ports have none: not kernel ports). */
  masterOf: ReadonlyMap<string, string>;
  /** Local address (IP) → the id of the address resource that holds it. */
  addressOfIp: ReadonlyMap<string, string>;
  /** Fields section kinds add to every interface, and the resource an interface setting one waits for. */
  interfaceFields: readonly { field: string; after: string }[];
  /** The resource id of an interface entry. */
  idOf(name: string): string;
}

export interface OrderRule {
  name: string;
  /** One line: why the kernel (or the operator) needs this order. */
  why: string;
  apply(ctx: OrderContext): void;
}
