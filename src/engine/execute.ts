// execute: runs an ordered list of operations, each run of consecutive operations that one
// invocation of its backend can take (same backend, same group key) as one process.
import type { Operation } from '../model.js';
import { NethostError } from '../model.js';
import { backendOf } from '../registry/backends.js';
import type { RunControl } from '../exec/run.js';
import type { InvocationFailure } from '../backends/types.js';

export interface ExecFailure {
  operation: Operation;
  /** Its index in the list given to execute. */
  index: number;
  message: string;
  /** Stopped by the engine (a signal), not refused. */
  stopped?: boolean;
  /** The line of the operation's input the tool refused (see InvocationFailure). */
  line?: { number: number; message: string };
}

export interface Invocation {
  start: number;
  ops: Operation[];
}

/** Consecutive operations that one process can run. */
export function invocations(ops: Operation[]): Invocation[] {
  const out: Invocation[] = [];
  let lastKey = '';
  ops.forEach((op, i) => {
    const key = `${op.backend}\0${backendOf(op).groupKey(op)}`;
    const last = out[out.length - 1];
    if (last && key === lastKey) last.ops.push(op);
    else out.push({ start: i, ops: [op] });
    lastKey = key;
  });
  return out;
}

export interface ExecuteControl extends RunControl {
  /** Called before each invocation starts (the journal records it). */
  onInvocation?(inv: Invocation, count: number): void;
  /** Called after each invocation that succeeded. */
  onInvocationDone?(inv: Invocation): void;
}

export async function execute(
  ops: Operation[],
  netns: string | undefined,
  control: ExecuteControl = {},
): Promise<ExecFailure | undefined> {
  const list = invocations(ops);
  for (const inv of list) {
    if (control.signal?.aborted) return { operation: inv.ops[0], index: inv.start, message: 'stopped', stopped: true };
    control.onInvocation?.(inv, list.length);
    let failure: InvocationFailure | undefined;
    try {
      failure = await backendOf(inv.ops[0]).run(inv.ops, netns, control);
    } catch (e) {
      // A process that could not start is a failure of its operations like any other: rolled back.
      if (!(e instanceof NethostError)) throw e;
      failure = { index: 0, message: e.message, tookEffect: 'none' as const };
    }
    if (!failure) {
      control.onInvocationDone?.(inv);
      continue;
    }
    return {
      operation: inv.ops[failure.index],
      index: inv.start + failure.index,
      message: failure.message,
      ...(failure.stopped ? { stopped: true } : {}),
      ...(failure.line ? { line: failure.line } : {}),
    };
  }
  return undefined;
}
