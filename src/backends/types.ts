// A backend is one tool nethost drives (ip, sysctl, nft, ovs-vsctl). It knows three things:
// how to read its part of the live state, how to run a run of consecutive operations as few
// invocations as the tool allows (and which operation failed, and whether any of it took effect),
// and the exact command a person would type for one operation. Kinds name their backend in each
// operation; the one dependency graph orders operations across backends. Snapshot and restore are
// not a backend's business: the live state is resources, and restoring is planning back to them.
//
// Adding a backend: a folder here with an object of this interface (its RawLive fields declared by
// module augmentation in that folder, optional), one line in src/registry/backends.ts (ARCHITECTURE.md). Its kinds emit operations with
// `backend: NAME`; `run` gets runs of consecutive operations with the same groupKey, in plan order.
import type { DesiredState, Operation, Plan } from '../model.js';
import type { RunControl } from '../exec/run.js';

/** Settings of the tools nethost drives, from the command line (each backend declares its own by
 *  module augmentation: `ovsdb` in ./ovs). */
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation (a type alias cannot be)
export interface BackendOptions {}

/** Every backend's raw live state in one object. A backend adds its own fields from its folder
 *  (`declare module '../types.js' { interface RawLive { … } }`) and fills them in `read`. */
// biome-ignore lint/suspicious/noEmptyInterface: filled by module augmentation (a type alias cannot be)
export interface RawLive {}

export interface ReadContext {
  netns: string | undefined;
  options?: BackendOptions;
  /** The file, once loaded: reads that depend on what it names (sysctl keys) wait for it. */
  desired: Promise<DesiredState | undefined>;
  /** The file's text, before it is parsed: a hint to start a read early (the file still decides). */
  fileText?: Promise<string>;
  /** Extra names to read besides the file's (a snapshot's sysctl keys, when verifying a restore). */
  also?: DesiredState[];
  /** Apply's snapshot: leave the checks of the file against this host to `check`, once the plan is known. */
  deferChecks?: boolean;
  /** Read under the apply lock (apply's snapshot, its verification, a restore): no other nethost
   *  changes this namespace meanwhile. */
  locked?: boolean;
  /** The verification of an apply, right after its operations. */
  verifying?: boolean;
}

export interface InvocationFailure {
  /** Index, in the operations given to `run`, of the one that failed (or was running when stopped). */
  index: number;
  message: string;
  /** What of the run took effect: the operations before `index` (a stop-at-first-failure tool such
   *  as `ip -batch`), or nothing (a transactional tool: `nft -f`, one OVSDB transaction). */
  tookEffect: 'prefix' | 'none';
  /** The run was stopped by the engine (a signal), not refused by the tool. */
  stopped?: boolean;
  /** The line of that operation's input the tool named (nft's `-f` script), and its words for it. */
  line?: { number: number; message: string };
}

export interface Backend {
  name: Operation['backend'];
  /** This backend's part of the raw live state (the fields it owns in RawLive). */
  read(ctx: ReadContext): Promise<Partial<RawLive>>;
  /** The part of an empty RawLive this backend owns. */
  empty(): Partial<RawLive>;
  /** Consecutive operations with the same key are run by one invocation. */
  groupKey(op: Operation): string;
  run(
    ops: Operation[],
    netns: string | undefined,
    control: RunControl & { options?: BackendOptions },
  ): Promise<InvocationFailure | undefined>;
  /** The exact argv a person would run for this operation alone (`--script`, JSON, error messages). */
  command(op: Operation, netns: string | undefined, options?: BackendOptions): string[];
  /** `--script` lines for one invocation, when it is not one command per operation (an OVSDB
   *  transaction); default: `command` of each, shell-quoted. */
  script?(ops: Operation[], netns: string | undefined, options?: BackendOptions): string[];
  /** What that command reads on stdin, if anything (`nft -f -`): `--script` writes it as a here-document. */
  input?(op: Operation): string;
  /** Apply's checks of the file against this host before anything changes (read deferred them), now
   *  that the plan says what runs first. */
  check?(plan: Plan, desired: DesiredState, netns: string | undefined): Promise<void>;
  /** Its part of the live state changes only by its own operations (nft's tables: not by links
   *  coming or going), so the verification may read it as soon as its last operation has run. */
  independent?: boolean;
}
