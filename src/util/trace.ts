// NETHOST_TRACE=1: a timeline on stderr (milliseconds since the process started) of each child
// process and of the pipeline's phases, with the CPU time the process itself has used by then
// (user + system, children not included), for finding what a run waits on and what it spends
// (bench/ANALYSIS.md).
const on = !!process.env.NETHOST_TRACE;

export function trace(what: string, since?: number): void {
  if (!on) return;
  const now = performance.now();
  const { user, system } = process.cpuUsage();
  const shown = what.length > 200 ? `${what.slice(0, 200)}… (${what.length} characters)` : what;
  process.stderr.write(
    `nethost trace: ${since === undefined ? '' : `${since.toFixed(0)}-`}${now.toFixed(0)} ms (cpu ${((user + system) / 1000).toFixed(0)} ms) ${shown}\n`,
  );
}
