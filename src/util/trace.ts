// NETHOST_TRACE=1: a timeline on stderr (milliseconds since the process started) of each child
// process and of the pipeline's phases, for finding what a run waits on (bench/ANALYSIS.md).
const on = !!process.env.NETHOST_TRACE;

export function trace(what: string, since?: number): void {
  if (!on) return;
  const now = performance.now();
  const shown = what.length > 200 ? `${what.slice(0, 200)}… (${what.length} characters)` : what;
  process.stderr.write(
    `nethost trace: ${since === undefined ? '' : `${since.toFixed(0)}-`}${now.toFixed(0)} ms ${shown}\n`,
  );
}
