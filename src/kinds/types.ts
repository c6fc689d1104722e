import type { z } from 'zod';
import type {
  AttrChange,
  AttrValue,
  Attrs,
  Change,
  Dependency,
  DesiredState,
  Diagnostic,
  LiveState,
  Operation,
  Resource,
  SourceRef,
} from '../model.js';
import type { RawLink } from '../backends/ip/raw.js';
import type { RawLive } from '../backends/types.js';

/** Facts from the edges that the pure core needs to canonicalise values (user and group ids). */
export interface HostFacts {
  users: Record<string, number>;
  groups: Record<string, number>;
  /** Routing table names from /etc/iproute2/rt_tables (main, default and local are always known). */
  tables: Record<string, number>;
  /** Protocol names from /etc/iproute2/rt_protos(.d): `ip -j` prints a named number by its name. */
  protos?: Record<string, number>;
  /** Protocol names from /etc/protocols (what nft prints for a protocol number). */
  protocols?: Record<string, number>;
}

export const EMPTY_FACTS: HostFacts = { users: {}, groups: {}, tables: {} };

export type OpSpec = Omit<Operation, 'resource' | 'action' | 'phase'> & { phase?: Operation['phase'] };

/** A minimal file that makes one object of this kind and a change of it in place: the conformance
 *  test (test/integration/conformance.test.ts, test/lab/conformance.lab.test.ts) and the docs use it. */
export interface KindSample {
  /** A whole nethost file (version 1) that makes one object of this kind, with what it hangs on.
   *  Documentation addresses only; an existing device only as a veth end or a `kind: ethernet` that
   *  the test provides. */
  file: string;
  /** The same file with one attribute of this kind's object changed: an update in place, not a
   *  replace (for a kind whose identity is its whole value, an address, another object instead). */
  change: string;
  /** Kernel modules or facilities the sample needs beyond what every host has: 'bonding', '8021q',
   *  'ip_gre', 'ip6_gre', 'dummy', 'openvswitch-kernel', 'ovs' (a running Open vSwitch, which the
   *  test starts), 'nf_conntrack_bridge'. Where one is missing the sample runs in the kernel lab. */
  needs?: readonly string[];
}

/** What every resource kind implements: read, normalise, compare, and the operations for each action. */
export interface ResourceKind {
  name: string;
  /** One object of this kind and a change of it, as a file (see KindSample). */
  sample?: KindSample;
  /** Tie-break order among resources the graph leaves unordered (links < addresses < routes < rules …). */
  rank: number;
  /** Attributes the kernel cannot change in place: changing one turns the change into a replace. */
  immutable: readonly string[];
  /** A change the kernel refuses in place only for some values (macvlan into or out of passthru). */
  replaceWhen?(name: string, before: AttrValue | undefined, after: AttrValue | undefined): boolean;
  /** Attributes whose change takes the link down. */
  disruptive?: readonly string[];
  /** Pick this kind's objects out of the raw live dump, in canonical form. */
  fromLive(raw: RawLive, facts: HostFacts): Resource[];
  /** Is the desired object met by this live one as it is, whatever the attributes say (a file route
   *  that the kernel's own route for an address fulfils)? Then there is no change. */
  satisfiedBy?(desired: Resource, live: Resource): boolean;
  /** Compare one attribute; the default is deep equality of canonical values. */
  equal?(name: string, desired: AttrValue | undefined, live: AttrValue | undefined): boolean;
  create(r: Resource, ctx: OpContext): OpSpec[];
  update(desired: Resource, live: Resource, changes: AttrChange[], ctx: OpContext): OpSpec[];
  delete(live: Resource, ctx: OpContext): OpSpec[];
  /** Is this live object, absent from the file, nethost's to delete? Default: it carries the mark.
   *  Ownership is the `mark` attribute (ifalias, proto number): adopting is changing the mark. */
  manages?(live: Resource, desired: DesiredState): boolean;
  /** Can the object exist only because the file says so (false for `ethernet`: it is never created). */
  creatable?: boolean;
  /** For every live object: words to report as drift that is left alone — one absent from the file
   *  and not nethost's (a foreign port on a bridge nethost manages), or someone else's part of one of
   *  nethost's (a member added to its bond) — or undefined when there is none or it is expected. */
  leftAlone?(live: Resource, desired: DesiredState): string | undefined;
  /** A change in a few words, where listing attributes would not say it (the firewall: rule by rule). */
  summarise?(c: Change): string;
  /** What a rollback, by design, cannot put back of this remaining change (a tunnel's earlier IPsec
   *  key after the process that read it ended), in words: reported as left alone, not as a failure. */
  unrestorable?(c: Change): string | undefined;
  /** Checks of a desired resource that only the live state can answer (errors and warnings). */
  checkLive?(desired: Resource, state: DesiredState, live: LiveState): Diagnostic[];
  /** A tool refused line `line` of an operation's input (the firewall's `nft -f` script): the
   *  entry of the file it came from, positioned, in words a person can act on. */
  refusedLine?(desired: Resource, line: number, message: string, file: string): Diagnostic | undefined;
  /** How a person names one of its objects ("route default table 100"); default: `KIND NAME`. */
  describe?(r: Resource): string;
  /** Checks of a desired resource against the rest of the file (errors and warnings). */
  checkFile?(r: Resource, file: FileContext): Diagnostic[];
  /** The file field its references to links are written in, when not the dependency's own name
   *  (an address refers to its link from that link's `addresses`). */
  referenceField?: string;
  /** Its ownership mark as a person reads it, for kinds marked by a protocol number: the word `ip`
   *  uses, and what an unmarked object shows (a route's `boot` is what iproute2 leaves unprinted). */
  markWords?: { field: string; none: string };
  /** A note on a change that its attributes do not say (the kernel's own route for an address). */
  note?(c: Change): string | undefined;
  /** Attributes the title already says: not listed again when it is created. */
  titleAttrs?: readonly string[];
  /** A change shown in its own terms, line by line, instead of attribute by attribute (the
   *  firewall: rule by rule): headers, and lines added (+) or removed (-). */
  detailLines?(c: Change): DetailLine[];
  /** What `plan --json` adds to this kind's changes (the firewall's rules by chain). */
  jsonDetail?(c: Change): Record<string, unknown>;
}

export interface DetailLine {
  text: string;
  op?: '+' | '-';
}

/** The file as a kind's `checkFile` sees it: every resource made from it, the valid interface
 *  entries with their kinds, and where a path of it was written. */
export interface FileContext {
  file: string;
  resources: ReadonlyMap<string, Resource>;
  interfaces: ReadonlyMap<string, { kind: LinkKind; entry: any }>;
  at(path: (string | number)[], key?: boolean): SourceRef | undefined;
}

export interface OpContext {
  desired: DesiredState;
  live: LiveState;
  /** Ids of resources being deleted in the same plan (so dependents can leave it to the kernel). */
  deleting: Set<string>;
  /** The registry's kind of a name, for what a kind asks of another (is my master's MTU its ports'?). */
  kindOf(name: string): ResourceKind;
}

/** Link kinds add the part of the file they read (a zod schema for `interfaces.NAME` with this `kind`). */
export interface LinkKind extends ResourceKind {
  /** The value of `kind:` in the file. */
  configKind: string;
  schema: z.ZodObject;
  /** Does this raw link belong to this kind? `live` is the whole raw state (OVS's rows say which
   *  kernel devices are Open vSwitch's). */
  matches(raw: RawLink, live: RawLive): boolean;
  /** Its `ports` are not kernel ports (`master`): the kind makes their resources from the whole file. */
  portResources?(
    name: string,
    entry: any,
    file: Map<string, { kind: LinkKind; entry: any }>,
  ): { resources: Resource[]; diagnostics: Diagnostic[] };
  /** Its resource id, when it is not a kernel link (`link:NAME`): OVS tunnels and bonds are OVSDB rows. */
  idOf?(name: string): string;
  /** The name rule for this kind's entries, when not the kernel's (OVS tunnels are only OVSDB rows). */
  nameSchema?: z.ZodType<string>;
  /** Kind-specific canonical attributes and dependencies from the file entry. */
  fromConfig(
    name: string,
    entry: any,
    facts: HostFacts,
  ): { attrs: Attrs; deps: Dependency[]; diagnostics?: Diagnostic[] };
  /** Takes the fields section kinds add to every interface entry (the registry gives them once). */
  takeInterfaceFields?(fields: Record<string, z.ZodType>): void;
  /** A master whose MTU follows its ports unless a `link set` fixed it (a Linux bridge). */
  mtuFollowsPorts?: boolean;
  /** A master whose driver takes ports only while they are down (bonding). */
  portsJoinDown?: boolean;
  /** Links whose kernel master is one of this kind's devices are not kernel ports: they are this
   *  kind's business (Open vSwitch's datapath, `ovs-system`). */
  holdsPortsItself?: boolean;
}

/** Section kinds read a list or map of their own at the top level of the file (`routes:`, `rules:` …). */
export interface SectionKind extends ResourceKind {
  section: string;
  /** Schema of the whole section. */
  schema: z.ZodType;
  /** Fields this kind adds to every `interfaces.NAME` entry (the firewall: `guard`). An interface
   *  that sets one is ordered after this kind's resource (`orderedAfter`), and the kind runs even
   *  without its section. */
  interfaceFields?: { fields: Record<string, z.ZodType>; orderedAfter: string };
  /** `at(path, true)` locates the key of the last step rather than its value. `interfaces`: the
   *  file's valid interface entries by name (parsed), for kinds with `interfaceFields`. */
  fromConfig(
    section: any,
    at: (path: (string | number)[], key?: boolean) => SourceRef | undefined,
    desired: Map<string, Resource>,
    facts: HostFacts,
    interfaces?: ReadonlyMap<string, any>,
  ): {
    resources: Resource[];
    diagnostics: Diagnostic[];
  };
}
