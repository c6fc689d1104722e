// The one place nethost starts processes: argv arrays only, never a shell. Input is fed on stdin
// (`ip -batch -`), so no user value is ever parsed by a shell.
//
// Children run in their own process group (a Ctrl-C on the terminal reaches nethost, which stops
// them itself and rolls back) and die with nethost: `setpriv --pdeathsig KILL` asks the kernel to
// kill a child whose parent dies, so after a `kill -9` of nethost no `ip -batch` finishes its batch
// on its own, racing the next run. The journal records each child too (PID and start time).
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NethostError } from '../model.js';
import { trace } from '../util/trace.js';
import { redactKeys } from '../util/redact.js';

/** Lets the engine stop a running invocation (a signal) and record which child runs (the journal). */
export interface RunControl {
  signal?: AbortSignal;
  options?: object;
  /** Called with each child process started, before it is given any input. */
  onSpawn?(child: { pid: number; argv: string[] }): void;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** Ended by the engine (a signal asked nethost to stop). */
  stopped?: boolean;
}

export interface RunOptions extends RunControl {
  input?: string;
  /** A file to give as stdin instead of `input` (a tool that opens /dev/stdin by name cannot open
   *  node's pipe, which is a socket; a file it can). */
  stdinFile?: string;
  /** Milliseconds before the child is killed and the run fails with a clear message. */
  timeoutMs?: number;
  /** The child writes its stdout to a private temporary file, read once it has exited: for a tool
   *  that writes unbuffered (nft's text listing: one write per token), where a pipe would wake
   *  nethost for every one of tens of thousands of writes. */
  stdoutToFile?: boolean;
  /** A child that only reads (a listing, a check): it may outlive nethost, ending by itself, so it
   *  runs without setpriv's death signal, one exec fewer on every read. */
  readOnly?: boolean;
  /** Values in the argv that must not be recorded (an IPsec key): onSpawn gets the argv with each
   *  cut out, so a journal's progress record and a message built from it never hold them. */
  secrets?: string[];
}

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));

/** A sentence for a process that could not start (`ENOENT`, `E2BIG`, a NUL in an argument …). */
function startError(argv: string[], e: NodeJS.ErrnoException): NethostError {
  const what = `cannot run "${argv[0]}"`;
  if (e.code === 'ENOENT') return new NethostError(`${what}: not installed or not on PATH (install iproute2 / procps)`);
  if (e.code === 'E2BIG') return new NethostError(`${what}: its arguments are too long for the kernel (E2BIG)`);
  if (e.code === 'ERR_INVALID_ARG_VALUE' || e.code === 'ERR_INVALID_ARG_TYPE')
    return new NethostError(`${what}: an argument holds a NUL byte or is not text`);
  return new NethostError(`${what}: ${e.message}`);
}

/** The argv as it may be recorded (progress journal, trace): secrets cut out. */
const recorded = (argv: string[], o: RunOptions) =>
  o.secrets?.length ? argv.map((a) => redactKeys(a, o.secrets!)) : argv;

export function run(argv: string[], opts: RunOptions | string = {}): Promise<RunResult> {
  const o: RunOptions = typeof opts === 'string' ? { input: opts } : opts;
  return new Promise((resolve, reject) => {
    if (o.signal?.aborted) return resolve({ code: 1, stdout: '', stderr: '', stopped: true });
    const full = SETPRIV && !o.readOnly ? [SETPRIV, '--pdeathsig', 'KILL', '--', ...argv] : argv;
    let child: ReturnType<typeof spawn>;
    let stdin: number | undefined;
    let stdout: number | undefined;
    let outDir: string | undefined;
    const removeOut = () => outDir && rmSync(outDir, { recursive: true, force: true });
    try {
      if (o.stdinFile !== undefined) stdin = openSync(o.stdinFile, 'r');
      if (o.stdoutToFile) {
        outDir = mkdtempSync(join(tmpdir(), 'nethost-out-'));
        stdout = openSync(join(outDir, 'stdout'), 'w', 0o600);
      }
      child = spawn(full[0], full.slice(1), {
        stdio: [stdin ?? 'pipe', stdout ?? 'pipe', 'pipe'],
        detached: true,
        env: { ...process.env, LC_ALL: 'C' },
      });
    } catch (e: any) {
      removeOut();
      return reject(startError(argv, e));
    } finally {
      // The child has its own copies.
      if (stdin !== undefined) closeSync(stdin);
      if (stdout !== undefined) closeSync(stdout);
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let stopped = false;
    let timedOut = false;
    const kill = () => {
      try {
        child.kill('SIGKILL');
      } catch {
        /* gone */
      }
    };
    const onAbort = () => {
      stopped = true;
      kill();
    };
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = o.timeoutMs ? setTimeout(() => ((timedOut = true), kill()), o.timeoutMs) : undefined;
    child.stdout?.on('data', (b) => out.push(b));
    child.stderr!.on('data', (b) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      removeOut();
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      reject(startError(argv, e));
    });
    const t0 = performance.now();
    const shownArgv = recorded(argv, o);
    child.on('close', (code) => {
      trace(shownArgv.join(' '), t0);
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      const stderr = Buffer.concat(err).toString('utf8');
      if (outDir) {
        try {
          out.push(readFileSync(join(outDir, 'stdout')));
        } finally {
          removeOut();
        }
      }
      if (timedOut)
        return reject(
          new NethostError(
            `"${argv.join(' ')}" did not answer within ${Math.round(o.timeoutMs! / 1000)} s and was stopped`,
          ),
        );
      // setpriv reports its own failures (an unknown option on an old util-linux) this way.
      if (code === 127 && /^setpriv: /m.test(stderr))
        return reject(new NethostError(`cannot run "${argv[0]}": ${stderr.trim()}`));
      resolve({
        code: code ?? 1,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
        ...(stopped ? { stopped } : {}),
      });
    });
    if (child.pid) o.onSpawn?.({ pid: child.pid, argv: shownArgv });
    if (!child.stdin) return;
    child.stdin.on('error', () => {}); // a tool that exits early closes its stdin: the exit code tells
    child.stdin.end(o.input ?? '');
  });
}

// An empty name is a caller's bug (an unset shell variable reaching here): never "the current namespace".
const named = (netns: string | undefined) => {
  if (netns === '') throw new NethostError('internal: an empty namespace name reached the process runner');
  return netns !== undefined;
};

/** `ip` aimed at a namespace. */
export const ipArgv = (netns: string | undefined, ...args: string[]) =>
  named(netns) ? ['ip', '-n', netns!, ...args] : ['ip', ...args];

/** A command run inside a namespace (for tools without a -n flag, like sysctl). */
export const inNetns = (netns: string | undefined, argv: string[]) =>
  named(netns) ? ['ip', 'netns', 'exec', netns!, ...argv] : argv;
