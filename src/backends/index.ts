// The registry: one line per backend.
import type { Backend, BackendOptions } from './types.js';
import type { Operation } from '../model.js';
import { ipBackend } from './ip/index.js';
import { sysctlBackend } from './sysctl/index.js';
import { ovsBackend } from './ovs/index.js';
import { nftBackend } from './nft/index.js';

export const BACKENDS: Backend[] = [ipBackend, sysctlBackend, nftBackend, ovsBackend];

const byName = new Map(BACKENDS.map((b) => [b.name, b]));
export function backendOf(op: Pick<Operation, 'backend'>): Backend {
  const b = byName.get(op.backend);
  if (!b) throw new Error(`internal: unknown backend ${op.backend}`);
  return b;
}

/** The exact command a person would run for one operation. */
export const commandLine = (op: Operation, netns: string | undefined, options?: BackendOptions) => backendOf(op).command(op, netns, options);

/** What one operation's command reads on stdin (a here-document in `--script`), if anything. */
export const commandInput = (op: Operation) => backendOf(op).input?.(op);
