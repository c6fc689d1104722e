// The pipeline, end to end: config → live → diff → plan → execute → verify. Commands call these.
import type { DesiredState, LiveState, Operation, Plan } from './model.js';
import { NethostError } from './model.js';
import { checkAgainstLive, loadDesiredState } from './config/load.js';
import { readConfigFile } from './config/read-file.js';
import { readHostFacts, readIpState, readRawLive, readSysctls } from './live/read.js';
import { normaliseLive } from './live/normalise.js';
import { diff } from './diff/diff.js';
import { buildPlan } from './plan/plan.js';
import { execute } from './exec/execute.js';
import { acquireLock } from './exec/lock.js';
import type { HostFacts } from './kinds/types.js';
import { checkNetns } from './util/netns.js';

export async function loadFile(file: string, facts?: HostFacts): Promise<DesiredState> {
  const text = await readConfigFile(file);
  const r = loadDesiredState(text, file, facts ?? (await readHostFacts()));
  if (!r.desired) throw new NethostError(`${file} is not valid`, r.diagnostics);
  return r.desired;
}

const sysctlKeys = (...states: { resources: Map<string, { kind: string; attrs: Record<string, unknown> }> }[]) => [
  ...new Set(states.flatMap((s) => [...s.resources.values()].filter((r) => r.kind === 'sysctl').map((r) => String(r.attrs.key)))),
];

export async function readLive(netns: string | undefined, desired: DesiredState | undefined, facts?: HostFacts): Promise<LiveState> {
  checkNetns(netns);
  const [raw, f] = await Promise.all([readRawLive(netns, desired ? sysctlKeys(desired) : []), facts ?? readHostFacts()]);
  return normaliseLive(raw, f, netns);
}

/** Desired vs live → an ordered plan; problems only the live state reveals stop it here. */
export function makePlan(desired: DesiredState, live: LiveState): Plan {
  const problems = checkAgainstLive(desired, live);
  if (problems.length) throw new NethostError(`${desired.file} cannot be applied here`, problems);
  return buildPlan(diff(desired, live), desired, live.netns, live);
}

/**
 * Starts reading the kernel's state at once, so that it overlaps loading the file; the sysctls, which
 * the file names, are read once it is loaded.
 */
function beginLiveRead(netns: string | undefined, facts: HostFacts): (desired: DesiredState) => Promise<LiveState> {
  const ip = readIpState(netns);
  ip.catch(() => {}); // awaited below: a failure while the file is still loading is reported then
  return async (desired) => {
    const [state, sysctls] = await Promise.all([ip, readSysctls(netns, sysctlKeys(desired))]);
    return normaliseLive({ ...state, sysctls }, facts, netns);
  };
}

export async function planFile(file: string, netns?: string) {
  checkNetns(netns); // '' is not "the current namespace"
  const facts = await readHostFacts();
  const finishRead = beginLiveRead(netns, facts);
  const desired = await loadFile(file, facts);
  const live = await finishRead(desired);
  return { desired, live, plan: makePlan(desired, live), facts };
}

export interface ApplyOutcome {
  plan: Plan;
  applied: boolean;
}

export interface ApplyHooks {
  /** Shown the plan; resolves false to stop before anything changes. */
  confirm?(plan: Plan): Promise<boolean>;
  /** Progress lines for the operator. */
  log?(line: string): void;
}

/** Puts back, for the resources a plan touched, what the snapshot had. Returns what still differs. */
async function restore(snapshot: LiveState, touched: Set<string>, netns: string | undefined, desired: DesiredState, facts: HostFacts): Promise<string[]> {
  const target: DesiredState = { file: '(snapshot)', resources: snapshot.resources };
  const differences = async () => {
    const now = await readLive(netns, desired, facts);
    return buildPlan(diff(target, now, { scope: touched }), target, netns);
  };
  // A few rounds: an operation that fails (its object already gone with its link) does not stop the rest.
  for (let round = 0; round < 3; round++) {
    const back = await differences();
    if (!back.changes.length) return [];
    let ops = back.operations;
    for (let failure = await execute(ops, netns); failure; failure = await execute(ops, netns)) ops = ops.slice(failure.done + 1);
  }
  return (await differences()).changes.map((c) => `${c.action} ${c.id}`);
}

export async function applyFile(file: string, netns: string | undefined, hooks: ApplyHooks = {}): Promise<ApplyOutcome> {
  checkNetns(netns);
  const facts = await readHostFacts();
  // The lock comes first: the snapshot, read while the file loads, must be taken under it.
  const release = acquireLock(netns);
  try {
    const finishRead = beginLiveRead(netns, facts);
    const desired = await loadFile(file, facts);
    const snapshot = await finishRead(desired);
    const plan = makePlan(desired, snapshot);
    if (!plan.changes.length) return { plan, applied: false };
    if (hooks.confirm && !(await hooks.confirm(plan))) return { plan, applied: false };
    await applyPlan(plan, desired, snapshot, facts, hooks);
    return { plan, applied: true };
  } finally {
    release();
  }
}

/**
 * Executes a plan made against `snapshot`, then verifies that a fresh plan is empty. On any failure,
 * everything the plan touched is put back as the snapshot had it, that is verified, and the error says
 * which operation failed, what the kernel said, and whether the restore is complete.
 */
export async function applyPlan(plan: Plan, desired: DesiredState, snapshot: LiveState, facts: HostFacts, hooks: ApplyHooks = {}): Promise<void> {
  const netns = plan.netns;
  checkNetns(netns);
  const touched = new Set(plan.changes.map((c) => c.id));
  const rollback = async (what: string, cause: string): Promise<never> => {
    hooks.log?.(`${what}; restoring the previous state…`);
    const left = await restore(snapshot, touched, netns, desired, facts);
    const status = left.length ? `NOT fully restored, still different: ${left.join(', ')}` : 'previous state restored and verified';
    throw new NethostError(`${what}: ${cause}\n${status}`);
  };
  const failure = await execute(plan.operations, netns);
  if (failure) await rollback(`operation ${failure.done + 1} of ${plan.operations.length} failed`, `${opText(failure.operation)}: ${failure.message}`);
  const after = await readLive(netns, desired, facts);
  const again = buildPlan(diff(desired, after), desired, netns);
  if (again.changes.length) await rollback('verification failed', `still different after apply: ${again.changes.map((c) => `${c.action} ${c.id}`).join(', ')}`);
}

export function opText(op: Operation): string {
  return `${op.tool === 'ip' ? 'ip' : 'sysctl -w'} ${op.args.map((a) => (a === '' ? '""' : a)).join(' ')}`;
}
