// Putting a namespace back as a snapshot had it: the rollback of a failed or refused apply, and
// the recovery of one that was interrupted, from its journal.
import type { Change, DesiredState, LiveState, Plan } from '../model.js';
import { kindOf } from '../registry/kinds.js';
import { NethostError } from '../model.js';
import { claimUnmarked, createdBefore, restoreReport, restoreScope, type RestoreReport } from '../plan/restore.js';
import { execute } from './execute.js';
import { interruptedAt, processStart, readJournal, removeJournal, type FoundJournal } from '../exec/journal.js';
import type { HostFacts } from '../kinds/types.js';
import type { BackendOptions } from '../backends/types.js';
import { readLive } from './read.js';
import { planChanges } from './plan.js';
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
  if (processStart(child.pid) === child.start)
    throw new NethostError(
      `pid ${child.pid} (${child.argv.join(' ')}) of the interrupted apply does not stop; nothing was changed`,
    );
}

function readJournalOrFail(base: string): FoundJournal | null {
  try {
    return readJournal(base);
  } catch (e: any) {
    throw new NethostError(
      `the journal ${base}.journal of an earlier apply cannot be read (${e.message}); look at it, then remove it to go on`,
    );
  }
}

export const restoredWords = (r: RestoreReport) =>
  `previous state restored and verified${r.leftAlone.length ? `; left alone: ${r.leftAlone.join(', ')}` : ''}`;

/**
 * Puts back, for everything in the apply's scope, what the snapshot had, and compares the whole
 * scope against the snapshot afterwards. A few rounds: an operation that fails (its object already
 * gone with its link) does not stop the rest.
 */
export async function restore(
  snapshot: LiveState,
  plan: Pick<Plan, 'changes' | 'operations'>,
  ran: number,
  netns: string | undefined,
  facts: HostFacts,
  options?: BackendOptions,
): Promise<RestoreReport> {
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
    for (
      let failure = await execute(ops, netns, { options });
      failure;
      failure = await execute(ops, netns, { options })
    )
      ops = ops.slice(failure.index + 1);
    state = await look();
  }
  return restoreReport(state.plan.changes, snapshot, state.now, state.scope);
}

/** The recovery of an apply that was interrupted (kill -9, a crash, a power cut) in this
 *  namespace, under the lock: its leftover child stopped, the scope put back to its snapshot and
 *  verified. Returns the note for the operator, or undefined when no journal was found. */
export async function recoverInterrupted(
  base: string,
  file: string,
  netns: string | undefined,
  facts: HostFacts,
  options: BackendOptions | undefined,
  log: (line: string) => void,
): Promise<string | undefined> {
  const found = readJournalOrFail(base);
  if (!found) return undefined;
  const recovered = interruptedAt(found);
  log(`${recovered}; rolling it back first…`);
  await stopLeftoverChild(found, log);
  const ran = found.progress ? found.progress.last : 0; // the running invocation may have got to its end
  const report = await restore(found.snapshot, found.journal, ran, netns, facts, options);
  removeJournal(base);
  if (report.differences.length)
    throw new NethostError(
      `${recovered}: NOT fully restored, still different:\n  ${report.differences.join('\n  ')}\nnothing of ${file} was applied`,
    );
  log(`the interrupted apply is rolled back: ${restoredWords(report)}`);
  return recovered;
}
