// Planning: desired vs live, always against the live state; and the plan a read-only command shows.
import type { DesiredState, LiveState, Plan } from '../model.js';
import { NethostError } from '../model.js';
import { checkAgainstLive } from '../config/load.js';
import { readHostFacts } from '../live/read.js';
import { diff, type DiffOptions } from '../diff/diff.js';
import { buildPlan } from '../plan/plan.js';
import { lockIsHeld, netnsIdentity, runDir } from '../exec/lock.js';
import { interruptedAt, readJournal, type FoundJournal } from '../exec/journal.js';
import type { BackendOptions } from '../backends/types.js';
import { checkNetns } from '../util/netns.js';
import { trace } from '../util/trace.js';
import { loadWhileReading } from './load.js';
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
  if (lockIsHeld(base))
    return `an apply (pid ${found.journal.pid}) is running in this namespace right now; this plan may be out of date when it ends`;
  return `${interruptedAt(found)}; the host may be half-changed. \`nethost apply\` rolls it back first, then applies`;
}

export async function planFile(file: string, netns?: string, options?: BackendOptions) {
  checkNetns(netns); // '' is not "the current namespace"
  trace('plan: start');
  const facts = await readHostFacts();
  trace('host facts read');
  const { desired, live } = await loadWhileReading(file, netns, facts, options);
  trace('live state read');
  const plan = makePlan(desired, live);
  trace('planned');
  return { desired, live, plan, facts, interrupted: interruptedApplyNote(netns) };
}
