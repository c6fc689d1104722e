// Applying a plan: all or nothing, under the lock and the journal, stopped and rolled back by a
// signal, verified afterwards (verify.ts); any failure puts the snapshot back (recover.ts).
import type { Diagnostic, DesiredState, LiveState, Plan } from '../model.js';
import { kindOf } from '../registry/kinds.js';
import { NethostError } from '../model.js';
import { readHostFacts } from '../live/read.js';
import type { RestoreReport } from '../plan/restore.js';
import { execute, type ExecFailure } from './execute.js';
import { acquireLock, bumpGeneration } from '../exec/lock.js';
import { processStart, removeJournal, writeJournal, writeProgress } from '../exec/journal.js';
import { BACKENDS, backendOf, commandLine } from '../registry/backends.js';
import type { RawLive } from '../backends/types.js';
import type { HostFacts } from '../kinds/types.js';
import type { BackendOptions } from '../backends/types.js';
import { checkNetns } from '../util/netns.js';
import { showArgv } from '../util/text.js';
import { trace } from '../util/trace.js';
import { loadWhileReading } from './load.js';
import { makePlan } from './plan.js';
import { readLive } from './read.js';
import { recoverInterrupted, restore, restoredWords } from './recover.js';
import { verify } from './verify.js';
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

export async function applyFile(
  file: string,
  netns: string | undefined,
  hooks: ApplyHooks = {},
): Promise<ApplyOutcome> {
  checkNetns(netns);
  const log = hooks.log ?? (() => {});
  trace('apply: start');
  const facts = await readHostFacts();
  trace('host facts read');
  // The lock comes first: the snapshot, read while the file loads, must be taken under it.
  const lock = acquireLock(netns, hooks.lockTimeout ?? 0);
  try {
    bumpGeneration(lock.base); // before anything changes: a plan reading meanwhile can tell
    const recovered = await recoverInterrupted(lock.base, file, netns, facts, hooks.options, log);
    const { desired, live: snapshot, parts } = await loadWhileReading(file, netns, facts, hooks.options, true);
    const plan = makePlan(desired, snapshot);
    trace('planned');
    if (!plan.changes.length) return { plan, applied: false, recovered };
    for (const b of BACKENDS) await b.check?.(plan, desired, netns);
    if (hooks.confirm && !(await hooks.confirm(plan))) return { plan, applied: false, recovered };
    await applyPlan(plan, desired, snapshot, facts, {
      ...hooks,
      journal: { base: lock.base, file },
      snapshotParts: parts,
    });
    return { plan, applied: true, recovered };
  } finally {
    try {
      bumpGeneration(lock.base);
    } finally {
      lock.release();
    }
  }
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
export async function applyPlan(
  plan: Plan,
  desired: DesiredState,
  snapshot: LiveState,
  facts: HostFacts,
  hooks: ApplyPlanHooks = {},
): Promise<void> {
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
    if (journal)
      writeJournal(journal.base, {
        netns: netns ?? null,
        file: journal.file,
        changes: plan.changes,
        operations: plan.operations,
        snapshot,
      });
    // How far the operations may have got: up to a refused one (ip stops there), or to the end of the
    // invocation a signal stopped.
    let ran = 0;
    const rollback = async (
      what: string,
      cause: string,
      exitCode = 1,
      diagnostics: Diagnostic[] = [],
    ): Promise<never> => {
      log(`${what}; restoring the previous state…`);
      let report: RestoreReport;
      try {
        report = await restore(snapshot, plan, ran, netns, facts, hooks.options);
      } catch (e: any) {
        // The journal stays: the next apply retries the rollback before anything else.
        const kept = journal ? `; the journal ${journal.base}.journal is kept and the next apply rolls back first` : '';
        throw new NethostError(
          `${what}${cause ? `: ${cause}` : ''}\nrestoring the previous state failed: ${e.message}${kept}`,
          diagnostics,
          exitCode,
        );
      }
      if (journal) removeJournal(journal.base);
      const status = report.differences.length
        ? `NOT fully restored, still different:\n  ${report.differences.join('\n  ')}`
        : restoredWords(report);
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
        const p = new Promise<void>((r) => setImmediate(r)).then(() =>
          BACKENDS.find((b) => b.name === name)!.read({
            netns,
            desired: Promise.resolve(desired),
            options: hooks.options,
            locked: true,
            verifying: true,
          }),
        );
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
        if (journal)
          writeProgress(journal.base, {
            ...current,
            child: { pid: child.pid, start: processStart(child.pid), argv: child.argv },
          });
      },
    });
    ran = failure ? (failure.stopped ? current.last : failure.index) : n;
    if (signal) await interrupted();
    if (failure)
      await rollback(
        `operation ${failure.index + 1} of ${n} failed`,
        `${showArgv(commandLine(failure.operation, netns, hooks.options))}: ${failure.message}`,
        1,
        refusedEntry(failure, desired),
      );
    trace('operations done');
    let again: Plan;
    try {
      // The first read may use the parts read early; a retry reads everything afresh.
      again = await verify(
        desired,
        (attempt) => readLive(netns, desired, facts, [], hooks.options, attempt === 0 ? early : new Map()),
        () => !!signal,
      );
      trace('verified');
    } catch (e: any) {
      return await rollback('verification could not read the live state', e.message);
    }
    if (signal) await interrupted();
    if (again.changes.length)
      await rollback(
        'verification failed',
        `still different after apply: ${again.changes.map((c) => `${c.action} ${c.id}`).join(', ')}`,
      );
    if (hooks.keep) {
      // The journal and the lock stay until the answer: a dropped session (SIGHUP) or a kill -9
      // while waiting rolls back too.
      const aborted = new Promise<boolean>((r) =>
        stop.signal.addEventListener('abort', () => r(false), { once: true }),
      );
      const kept = await Promise.race([hooks.keep(), aborted]);
      if (signal) await interrupted();
      if (!kept) await rollback('the changes were not confirmed', '');
    }
    if (journal) removeJournal(journal.base);
  } finally {
    for (const s of signals) process.off(s, onSignal);
  }
}
