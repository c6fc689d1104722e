// The data that flows through the pipeline: config → live → diff → plan → render/execute → verify.
// Everything here is plain data (JSON-serialisable), so each stage is a pure function of the last.

export type Scalar = string | number | boolean | null;
export type AttrValue = Scalar | Scalar[];
export type Attrs = Record<string, AttrValue | undefined>;

/** Where a value came from in the user's file. */
export interface SourceRef {
  file: string;
  line: number;
  col: number;
}

/** `recreate`: the kernel destroys the dependent with its dependency (an address with its link);
 *  `attach`: the dependent only refers to it and must be re-attached (a bridge port to its master). */
export interface Dependency {
  id: string;
  via: string;
  mode: 'recreate' | 'attach' | 'order';
}

/** One object nethost manages: a link, an address, a route, a rule, a neighbour, a sysctl. */
export interface Resource {
  id: string;
  /** The registry kind: 'bridge', 'vxlan', 'address', 'route', … */
  kind: string;
  /** Canonical attributes. `undefined` means "not specified / unknown": never compared. */
  attrs: Attrs;
  /** Live: carries nethost's ownership mark. Desired: always true. */
  owned: boolean;
  deps: Dependency[];
  source?: SourceRef;
  /** What the engine carries with the object but never compares or shows: where its parts were
   *  written in the file (a firewall rule's line), what a rollback loads back (nft's own listing),
   *  someone else's values of keys nethost manages, facts read with it (the forwarding switches).
   *  Plain JSON: the journal keeps it with the snapshot. */
  carried?: object;
}

export interface DesiredState {
  file: string;
  resources: Map<string, Resource>;
}

export interface LiveState {
  netns?: string;
  resources: Map<string, Resource>;
  /** Names of every link present (managed or not), for reachability and existence checks. */
  linkNames: Set<string>;
  /** Every address present on any link, as CIDR, for gateway reachability checks. */
  addresses: string[];
}

export type ChangeAction = 'create' | 'update' | 'replace' | 'delete' | 'adopt';

/** Why a change is a replace, or was added by another (documented in nethost(1), JSON PLAN FORMAT). */
export type ChangeReason =
  /** The file says another kind than the live object has: recreated as the file's. */
  | { code: 'kind-changed'; detail: { from: string; to: string } }
  /** An attribute the kernel cannot change in place (a vxlan's vni): recreated. */
  | { code: 'immutable-attribute'; detail: { attribute: string } }
  /** Something it hangs on is recreated, and the kernel destroys it with that (an address with its link). */
  | { code: 'dependency-recreated'; detail: { dependency: string } }
  /** Something it is attached to is recreated, and the kernel drops the attachment (a port's master). */
  | { code: 'reattached'; detail: { dependency: string } };

export type ReasonCode = ChangeReason['code'];

export interface AttrChange {
  name: string;
  before: AttrValue | undefined;
  after: AttrValue | undefined;
  /** The kernel cannot change it in place: the resource is recreated. */
  forcesReplace: boolean;
}

export interface Change {
  id: string;
  kind: string;
  action: ChangeAction;
  before?: Resource;
  after?: Resource;
  attrs: AttrChange[];
  /** Why a replace or a cascade happened: stable codes for scripts; render/reasons.ts words them. */
  reasons: ChangeReason[];
  /** Takes a link down or recreates it (traffic is interrupted). */
  disruptive: boolean;
}

/** One step of one backend (src/backends/). `args` are the backend's own: for `ip`, the argv
 *  without the leading `ip` (one `ip -batch` line); for `sysctl`, `key=value`. */
export interface Operation {
  resource: string;
  action: ChangeAction;
  /** `late` runs after every other put: settings the kernel would undo while links still join (a bridge's MTU). */
  phase: 'delete' | 'put' | 'late';
  /** The backend that runs it: a name registered in src/registry/backends.ts. */
  backend: string;
  /** Options the whole invocation shares, for what one batch line cannot say (`-6` for IPv6 rules). */
  options?: string[];
  args: string[];
  disruptive: boolean;
}

export interface Plan {
  netns?: string;
  changes: Change[];
  operations: Operation[];
  /** Objects others added where nethost manages, that it leaves alone (a foreign port on its bridge):
   *  drift to report, never to change. */
  leftAlone?: string[];
  /** What the live state says the operator should know (a sysctl the rules need, another table's drop policy). */
  warnings?: Diagnostic[];
}

export interface Diagnostic {
  severity: 'error' | 'warning';
  message: string;
  hint?: string;
  path?: (string | number)[];
  source?: SourceRef;
}

export class NethostError extends Error {
  constructor(
    message: string,
    readonly diagnostics: Diagnostic[] = [],
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'NethostError';
  }
}

/** The id of a kernel link's resource: `link:NAME`. */
export const linkId = (name: string) => `link:${name}`;

/** The number nethost writes as `proto`/`protocol` on the routes, rules and neighbours it owns. */
export const NETHOST_PROTO = 232;
/** The ifalias nethost writes on the links it creates. */
export const NETHOST_ALIAS = 'nethost';
/** The ifalias on existing devices it manages but never created (`kind: ethernet`): only released, never deleted. */
export const NETHOST_ALIAS_EXISTING = 'nethost:existing';
/** Any `nethost:existing…` alias is nethost's (it may record the device's own addresses: kinds/links/mark.ts). */
export const isNethostAlias = (a: unknown) =>
  a === NETHOST_ALIAS || (typeof a === 'string' && a.startsWith(NETHOST_ALIAS_EXISTING));
