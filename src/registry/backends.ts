// The registry: one line per backend.
import type { Backend, BackendOptions, RawLive } from '../backends/types.js';
import type { Operation } from '../model.js';
import { ipBackend } from '../backends/ip/backend.js';
import { sysctlBackend } from '../backends/sysctl/backend.js';
import { ovsBackend } from '../backends/ovs/backend.js';
import { nftBackend } from '../backends/nft/backend.js';

export const BACKENDS: Backend[] = [ipBackend, sysctlBackend, nftBackend, ovsBackend];

const byName = new Map(BACKENDS.map((b) => [b.name, b]));
export function backendOf(op: Pick<Operation, 'backend'>): Backend {
  const b = byName.get(op.backend);
  if (!b) throw new Error(`internal: unknown backend ${op.backend}`);
  return b;
}

/** The exact command a person would run for one operation. */
export const commandLine = (op: Operation, netns: string | undefined, options?: BackendOptions) =>
  backendOf(op).command(op, netns, options);

/** What one operation's command reads on stdin (a here-document in `--script`), if anything. */
export const commandInput = (op: Operation) => backendOf(op).input?.(op);

/** A raw live state with every backend's part empty. */
export function emptyRawLive(): RawLive {
  return Object.assign({}, ...BACKENDS.map((b) => b.empty())) as RawLive;
}
