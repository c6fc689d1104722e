// Verification: after an apply, the live state is read again and planned against the file; an
// empty plan means verified. What the kernel settles a moment after the command returns (a link's
// carrier, a tentative IPv6 address, a userspace OVS port built by ovs-vswitchd) gets a bounded
// retry, as nmstate's verify has: a few fresh reads, a little apart, before the apply is called failed.
import type { DesiredState, LiveState, Plan } from '../model.js';
import { planChanges } from './plan.js';

/** Fresh reads after the first, and the pause before each: at most ~0.35 s more on a real failure. */
export const VERIFY_RETRY_DELAYS_MS = [50, 300] as const;

/**
 * The plan that remains after an apply: `read(0)` is the first read (it may reuse the reads the
 * apply started early), `read(n)` a fresh one; stops early when `stopped()` says a signal came.
 * A read that fails throws (the caller rolls back with its message).
 */
export async function verify(
  desired: DesiredState,
  read: (attempt: number) => Promise<LiveState>,
  stopped: () => boolean = () => false,
  delays: readonly number[] = VERIFY_RETRY_DELAYS_MS,
): Promise<Plan> {
  let remaining = planChanges(desired, await read(0));
  for (let i = 0; i < delays.length && remaining.changes.length && !stopped(); i++) {
    await new Promise((r) => setTimeout(r, delays[i]));
    remaining = planChanges(desired, await read(i + 1));
  }
  return remaining;
}
