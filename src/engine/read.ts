// Reading the live state under the apply lock: the verification of an apply, a restore.
import type { DesiredState, LiveState } from '../model.js';
import { readHostFacts, readRawLive } from '../live/read.js';
import { normaliseLive } from '../live/normalise.js';
import type { RawLive } from '../backends/types.js';
import type { HostFacts } from '../kinds/types.js';
import type { BackendOptions } from '../backends/types.js';
import { checkNetns } from '../util/netns.js';

/** Reads the live state under the apply lock (the verification, a restore); `also` adds the names
 *  other states need read (a snapshot's sysctl keys). */
export async function readLive(
  netns: string | undefined,
  desired: DesiredState | undefined,
  facts?: HostFacts,
  also: DesiredState[] = [],
  options?: BackendOptions,
  early?: ReadonlyMap<string, Promise<Partial<RawLive>>>,
): Promise<LiveState> {
  checkNetns(netns);
  const verifying = early !== undefined; // only the verification passes the reads it started early
  const [raw, f] = await Promise.all([
    readRawLive({ netns, desired: Promise.resolve(desired), also, options, locked: true, verifying }, early),
    facts ?? readHostFacts(),
  ]);
  return normaliseLive(raw, f, netns);
}
