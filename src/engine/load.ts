// Loading the file, and loading it while the live state is read (the read starts at once and
// waits for the file only where it must).
import type { DesiredState, LiveState } from '../model.js';
import { NethostError } from '../model.js';
import { loadDesiredState } from '../config/load.js';
import { readConfigFile } from '../config/read-file.js';
import { readHostFacts, readRawLive } from '../live/read.js';
import { normaliseLive } from '../live/normalise.js';
import type { RawLive } from '../backends/types.js';
import type { HostFacts } from '../kinds/types.js';
import type { BackendOptions } from '../backends/types.js';
import { trace } from '../util/trace.js';

export async function loadFile(
  file: string,
  facts?: HostFacts,
  text: Promise<string> = readConfigFile(file),
): Promise<DesiredState> {
  const r = loadDesiredState(await text, file, facts ?? (await readHostFacts()));
  if (!r.desired) throw new NethostError(`${file} is not valid`, r.diagnostics);
  return r.desired;
}

/**
 * Loads the file while the live state is read: the read starts at once and waits for the file only
 * where it must (sysctl keys). A file that does not load lets the read finish for nothing.
 */
export async function loadWhileReading(
  file: string,
  netns: string | undefined,
  facts: HostFacts,
  options?: BackendOptions,
  deferChecks = false,
): Promise<{ desired: DesiredState; live: LiveState; parts: Map<string, Partial<RawLive>> }> {
  let give!: (d: DesiredState | undefined) => void;
  const wanted = new Promise<DesiredState | undefined>((r) => (give = r));
  const text = readConfigFile(file);
  text.catch(() => {}); // loadFile reports it
  const parts = new Map<string, Partial<RawLive>>();
  const raw = readRawLive(
    { netns, desired: wanted, options, deferChecks, locked: deferChecks, fileText: text },
    undefined,
    parts,
  );
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
