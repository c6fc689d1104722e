// The pipeline, end to end: config → live → diff → plan → execute → verify. Commands call these.
import type { Change, Diagnostic, DesiredState, LiveState, Plan } from '../model.js';
import { kindOf } from '../registry/kinds.js';
import { NethostError } from '../model.js';
import { checkAgainstLive, loadDesiredState } from '../config/load.js';
import { readConfigFile } from '../config/read-file.js';
import { readHostFacts, readRawLive } from '../live/read.js';
import { normaliseLive } from '../live/normalise.js';
import { diff, type DiffOptions } from '../diff/diff.js';
import { buildPlan } from '../plan/plan.js';
import { claimUnmarked, createdBefore, restoreReport, restoreScope, type RestoreReport } from '../plan/restore.js';
import { execute, type ExecFailure } from './execute.js';
import { acquireLock, bumpGeneration, lockIsHeld, netnsIdentity, runDir } from '../exec/lock.js';
import { interruptedAt, processStart, readJournal, removeJournal, writeJournal, writeProgress, type FoundJournal } from '../exec/journal.js';
import { BACKENDS, backendOf, commandLine } from '../registry/backends.js';
import type { RawLive } from '../backends/types.js';
import type { HostFacts } from '../kinds/types.js';
import type { BackendOptions } from '../backends/types.js';
import { checkNetns } from '../util/netns.js';
import { showArgv } from '../util/text.js';
import { trace } from '../util/trace.js';

export async function loadFile(file: string, facts?: HostFacts, text: Promise<string> = readConfigFile(file)): Promise<DesiredState> {
  const r = loadDesiredState(await text, file, facts ?? (await readHostFacts()));
  if (!r.desired) throw new NethostError(`${file} is not valid`, r.diagnostics);
  return r.desired;
}

/** Reads the live state under the apply lock (the verification, a restore); `also` adds the names
 *  other states need read (a snapshot's sysctl keys). */
export async function readLive(netns: string | undefined, desired: DesiredState | undefined, facts?: HostFacts, also: DesiredState[] = [], options?: BackendOptions, early?: ReadonlyMap<string, Promise<Partial<RawLive>>>): Promise<LiveState> {
  checkNetns(netns);
  const verifying = early !== undefined; // only the verification passes the reads it started early
  const [raw, f] = await Promise.all([readRawLive({ netns, desired: Promise.resolve(desired), also, options, locked: true, verifying }, early), facts ?? readHostFacts()]);
  return normaliseLive(raw, f, netns);
}

/** The one planning entry point: desired vs live, always with the live state (apply, verify, restore). */
export function planChanges(desired: DesiredState, live: LiveState, opts: DiffOptions = {}): Plan {
  return buildPlan(diff(desired, live, opts), desired, live);
}

/** Desired vs live → an ordered plan; problems only the live state reveals stop it here. */
export function makePlan(desired: DesiredState, live: LiveState): Plan {
  const problems = checkAgainstLive(desired, live);
  const errors = problems.filter((d) => d.severity === 'error');
  if (errors.length) throw new NethostError(`${desired.file} cannot be applied here`, problems);
  const plan = planChanges(desired, live);
  return problems.length ? { ...plan, warnings: problems } : plan;
}

/**
 * Loads the file while the live state is read: the read starts at once and waits for the file only
 * where it must (sysctl keys). A file that does not load lets the read finish for nothing.
 */
async function loadWhileReading(file: string, netns: string | undefined, facts: HostFacts, options?: BackendOptions, deferChecks = false): Promise<{ desired: DesiredState; live: LiveState; parts: Map<string, Partial<RawLive>> }> {
  let give!: (d: DesiredState | undefined) => void;
  const wanted = new Promise<DesiredState | undefined>((r) => (give = r));
  const text = readConfigFile(file);
  text.catch(() => {}); // loadFile reports it
  const parts = new Map<string, Partial<RawLive>>();
  const raw = readRawLive({ netns, desired: wanted, options, deferChecks, locked: deferChecks, fileText: text }, undefined, parts);
  raw.catch(() => {}); // awaited below: a failure while the file is still loading is reported then
  let desired: DesiredState;
  try {
    trace('loading the file');
    desired = await loadFile(file, facts, text);
    trace('file loaded');
  } catch (e) {
    give(undefined);
    throw e;
  }
  give(desired);
  return { desired, live: normaliseLive(await raw, facts, netns), parts };
}

/** What a read-only command should say about an apply that is running or died in this namespace. */
export function interruptedApplyNote(netns: string | undefined): string | undefined {
  let found: FoundJournal | null;
  let base: string;
  try {
    base = `${runDir()}/net-${netnsIdentity(netns)}`;
    found = readJournal(base);
  } catch {
    return undefined; // not ours to read (not root), or no such namespace: the live read says that
  }
  if (!found) return undefined;
  if (lockIsHeld(base)) return `an apply (pid ${found.journal.pid}) is running in this namespace right now; this plan may be out of date when it ends`;
  return `${interruptedAt(found)}; the host may be half-changed. \`nethost apply\` rolls it back first, then applies`;
}

export async function planFile(file: string, netns?: string, options?: BackendOptions) {
  checkNetns(netns); // '' is not "the current namespace"
  const facts = await readHostFacts();
  const { desired, live } = await loadWhileReading(file, netns, facts, options);
  trace('live state read');
  const plan = makePlan(desired, live);
  trace('planned');
  return { desired, live, plan, facts, interrupted: interruptedApplyNote(netns) };
}

export interface ApplyOutcome {
  plan: Plan;
  applied: boolean;
  /** Set when an interrupted apply was rolled back first. */
  recovered?: string;
}

export interface ApplyHooks {
  /** Shown the plan; resolves false to stop before anything changes. */
  confirm?(plan: Plan): Promise<boolean>;
  /** Progress lines for the operator. */
  log?(line: string): void;
  /** Seconds to wait for another apply's lock (default: refuse at once). */
  lockTimeout?: number;
  /** Settings of the tools (which OVSDB). */
  options?: BackendOptions;
  /** After a verified apply: resolves true to keep it; false (or a signal) rolls it back, as
   *  `netplan try` does, for a change that may cut the operator off. */
  keep?(): Promise<boolean>;
}

const SIGNAL_EXIT: Record<string, number> = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

/** Stops the child of a dead apply (by PID, checked against its start time), and waits until it is gone. */
async function stopLeftoverChild(found: FoundJournal, log: (s: string) => void) {
  const child = found.progress?.child;
  if (!child || processStart(child.pid) === null || processStart(child.pid) !== child.start) return;
  log(`stopping ${child.argv[0]} (pid ${child.pid}) left running by the interrupted apply`);
  try {
    process.kill(child.pid, 'SIGKILL');
  } catch {
    /* ended meanwhile */
  }
  for (let i = 0; i < 250 && processStart(child.pid) === child.start; i++) await new Promise((r) => setTimeout(r, 20));
  if (processStart(child.pid) === child.start) throw new NethostError(`pid ${child.pid} (${child.argv.join(' ')}) of the interrupted apply does not stop; nothing was changed`);
}

export async function applyFile(file: string, netns: string | undefined, hooks: ApplyHooks = {}): Promise<ApplyOutcome> {
  checkNetns(netns);
  const log = hooks.log ?? (() => {});
  const facts = await readHostFacts();
  // The lock comes first: the snapshot, read while the file loads, must be taken under it.
  const lock = acquireLock(netns, hooks.lockTimeout ?? 0);
  try {
    bumpGeneration(lock.base); // before anything changes: a plan reading meanwhile can tell
    let recovered: string | undefined;
    const found = readJournalOrFail(lock.base);
    if (found) {
      recovered = interruptedAt(found);
      log(`${recovered}; rolling it back first…`);
      await stopLeftoverChild(found, log);
      const ran = found.progress ? found.progress.last : 0; // the running invocation may have got to its end
      const report = await restore(found.snapshot, found.journal, ran, netns, facts, hooks.options);
      removeJournal(lock.base);
      if (report.differences.length) throw new NethostError(`${recovered}: NOT fully restored, still different:\n  ${report.differences.join('\n  ')}\nnothing of ${file} was applied`);
      log(`the interrupted apply is rolled back: ${restoredWords(report)}`);
    }
    const { desired, live: snapshot, parts } = await loadWhileReading(file, netns, facts, hooks.options, true);
    const plan = makePlan(desired, snapshot);
    trace('planned');
    if (!plan.changes.length) return { plan, applied: false, recovered };
    for (const b of BACKENDS) await b.check?.(plan, desired, netns);
    if (hooks.confirm && !(await hooks.confirm(plan))) return { plan, applied: false, recovered };
    await applyPlan(plan, desired, snapshot, facts, { ...hooks, journal: { base: lock.base, file }, snapshotParts: parts });
    return { plan, applied: true, recovered };
  } finally {
    try {
      bumpGeneration(lock.base);
    } finally {
      lock.release();
    }
  }
}

function readJournalOrFail(base: string): FoundJournal | null {
  try {
    return readJournal(base);
  } catch (e: any) {
    throw new NethostError(`the journal ${base}.journal of an earlier apply cannot be read (${e.message}); look at it, then remove it to go on`);
  }
}

const restoredWords = (r: RestoreReport) => `previous state restored and verified${r.leftAlone.length ? `; left alone: ${r.leftAlone.join(', ')}` : ''}`;

/**
 * Puts back, for everything in the apply's scope, what the snapshot had, and compares the whole
 * scope against the snapshot afterwards. A few rounds: an operation that fails (its object already
 * gone with its link) does not stop the rest.
 */
export async function restore(snapshot: LiveState, plan: Pick<Plan, 'changes' | 'operations'>, ran: number, netns: string | undefined, facts: HostFacts, options?: BackendOptions): Promise<RestoreReport> {
  const target: DesiredState = { file: '(snapshot)', resources: snapshot.resources };
  const ids = plan.changes.map((c) => c.id);
  const created = createdBefore(plan as Plan, ran);
  const look = async () => {
    const now = claimUnmarked(await readLive(netns, target, facts, [], options), snapshot, plan, created);
    const scope = restoreScope(ids, snapshot, now);
    return { now, scope, plan: planChanges(target, now, { scope }) };
  };
  let state = await look();
  // (What cannot be put back by design is not retried: it is reported as left alone.)
  const restorable = (c: Change) => !kindOf((c.after ?? c.before)!.kind).unrestorable?.(c);
  for (let round = 0; round < 3 && state.plan.changes.some(restorable); round++) {
    let ops = state.plan.operations;
    for (let failure = await execute(ops, netns, { options }); failure; failure = await execute(ops, netns, { options })) ops = ops.slice(failure.index + 1);
    state = await look();
  }
  return restoreReport(state.plan.changes, snapshot, state.now, state.scope);
}

/** The file's entry behind a line a tool refused, positioned (`FILE:LINE:COL: error: …`), if its kind knows it. */
function refusedEntry(failure: ExecFailure, desired: DesiredState): Diagnostic[] {
  const r = failure.line && desired.resources.get(failure.operation.resource);
  const d = r ? kindOf(r.kind).refusedLine?.(r, failure.line!.number, failure.line!.message, desired.file) : undefined;
  return d ? [d] : [];
}

export interface ApplyPlanHooks extends ApplyHooks {
  /** Where to keep the journal (the lock's base path) and the file's name for it. */
  journal?: { base: string; file: string };
  /** Each backend's part of the snapshot as read: an independent backend the plan runs nothing of
   *  is verified by it (nothing of this apply changed it). */
  snapshotParts?: ReadonlyMap<string, Partial<RawLive>>;
}

/**
 * Executes a plan made against `snapshot`, then verifies that a fresh plan is empty. On any failure,
 * or SIGINT / SIGTERM / SIGHUP, everything in the plan's scope is put back as the snapshot had it,
 * that is verified, and the error says what failed, what the kernel said, and whether the restore
 * is complete.
 */
export async function applyPlan(plan: Plan, desired: DesiredState, snapshot: LiveState, facts: HostFacts, hooks: ApplyPlanHooks = {}): Promise<void> {
  const netns = plan.netns;
  checkNetns(netns);
  const log = hooks.log ?? (() => {});
  const n = plan.operations.length;
  const stop = new AbortController();
  let signal: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signal) return log(`${sig}: still restoring the previous state; nethost exits once it is back`);
    signal = sig;
    log(`${sig}: stopping the apply and restoring the previous state…`);
    stop.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, onSignal);
  const journal = hooks.journal;
  try {
    if (journal) writeJournal(journal.base, { netns: netns ?? null, file: journal.file, changes: plan.changes, operations: plan.operations, snapshot });
    // How far the operations may have got: up to a refused one (ip stops there), or to the end of the
    // invocation a signal stopped.
    let ran = 0;
    const rollback = async (what: string, cause: string, exitCode = 1, diagnostics: Diagnostic[] = []): Promise<never> => {
      log(`${what}; restoring the previous state…`);
      let report: RestoreReport;
      try {
        report = await restore(snapshot, plan, ran, netns, facts, hooks.options);
      } catch (e: any) {
        // The journal stays: the next apply retries the rollback before anything else.
        const kept = journal ? `; the journal ${journal.base}.journal is kept and the next apply rolls back first` : '';
        throw new NethostError(`${what}${cause ? `: ${cause}` : ''}\nrestoring the previous state failed: ${e.message}${kept}`, diagnostics, exitCode);
      }
      if (journal) removeJournal(journal.base);
      const status = report.differences.length ? `NOT fully restored, still different:\n  ${report.differences.join('\n  ')}` : restoredWords(report);
      throw new NethostError(`${what}${cause ? `: ${cause}` : ''}\n${status}`, diagnostics, exitCode);
    };
    const interrupted = () => rollback(`interrupted by ${signal}`, '', SIGNAL_EXIT[signal!] ?? 1);
    let current = { first: 1, last: 0, of: n };
    // The verification's read of a backend whose state only its own operations change starts as
    // soon as its last operation has run (nft's tables while the links are made).
    const lastOf = new Map<string, number>();
    plan.operations.forEach((o, i) => backendOf(o).independent && lastOf.set(o.backend, i));
    const early = new Map<string, Promise<Partial<RawLive>>>();
    // A backend whose state only its own operations change, and of which the plan runs none: as
    // the snapshot read it (nft's tables, in an apply that changes only links).
    for (const b of BACKENDS) {
      const part = hooks.snapshotParts?.get(b.name);
      if (b.independent && part && !lastOf.has(b.name)) early.set(b.name, Promise.resolve(part));
    }
    const startEarly = (inv: { start: number; ops: unknown[] }) => {
      for (const [name, last] of lastOf) {
        if (last < inv.start || last >= inv.start + inv.ops.length || last === n - 1) continue;
        // Started once the next invocation has been spawned: that one is on the way to the end,
        // this read only has to be done by then.
        const p = new Promise<void>((r) => setImmediate(r)).then(() => BACKENDS.find((b) => b.name === name)!.read({ netns, desired: Promise.resolve(desired), options: hooks.options, locked: true, verifying: true }));
        p.catch(() => {}); // awaited by the verification, or not at all after a failure
        early.set(name, p);
      }
    };
    trace('executing');
    const failure: ExecFailure | undefined = await execute(plan.operations, netns, {
      signal: stop.signal,
      options: hooks.options,
      onInvocation: (inv) => {
        current = { first: inv.start + 1, last: inv.start + inv.ops.length, of: n };
      },
      onInvocationDone: startEarly,
      // Recorded once its child runs: the PID and start time that a later recovery checks.
      onSpawn: (child) => {
        if (journal) writeProgress(journal.base, { ...current, child: { pid: child.pid, start: processStart(child.pid), argv: child.argv } });
      },
    });
    ran = failure ? (failure.stopped ? current.last : failure.index) : n;
    if (signal) await interrupted();
    if (failure) await rollback(`operation ${failure.index + 1} of ${n} failed`, `${showArgv(commandLine(failure.operation, netns, hooks.options))}: ${failure.message}`, 1, refusedEntry(failure, desired));
    trace('operations done');
    let after: LiveState;
    try {
      after = await readLive(netns, desired, facts, [], hooks.options, early);
      trace('verification read');
    } catch (e: any) {
      return await rollback('verification could not read the live state', e.message);
    }
    if (signal) await interrupted();
    const again = planChanges(desired, after);
    trace('verified');
    if (again.changes.length) await rollback('verification failed', `still different after apply: ${again.changes.map((c) => `${c.action} ${c.id}`).join(', ')}`);
    if (hooks.keep) {
      // The journal and the lock stay until the answer: a dropped session (SIGHUP) or a kill -9
      // while waiting rolls back too.
      const aborted = new Promise<boolean>((r) => stop.signal.addEventListener('abort', () => r(false), { once: true }));
      const kept = await Promise.race([hooks.keep(), aborted]);
      if (signal) await interrupted();
      if (!kept) await rollback('the changes were not confirmed', '');
    }
    if (journal) removeJournal(journal.base);
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
