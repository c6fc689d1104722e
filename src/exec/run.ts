// The one place nethost starts processes: argv arrays only, never a shell. Input is fed on stdin
// (`ip -batch -`), so no user value is ever parsed by a shell.
import { spawn } from 'node:child_process';
import { NethostError } from '../model.js';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(argv: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => err.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT')
        reject(new NethostError(`cannot run "${argv[0]}": not installed or not on PATH (install iproute2 / procps)`));
      else reject(e);
    });
    child.on('close', (code) =>
      resolve({ code: code ?? 1, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
    child.stdin.on('error', () => {}); // a tool that exits early closes its stdin: the exit code tells
    child.stdin.end(input ?? '');
  });
}

/** `ip` aimed at a namespace. */
export const ipArgv = (netns: string | undefined, ...args: string[]) => (netns ? ['ip', '-n', netns, ...args] : ['ip', ...args]);

/** A command run inside a namespace (for tools without a -n flag, like sysctl). */
export const inNetns = (netns: string | undefined, argv: string[]) => (netns ? ['ip', 'netns', 'exec', netns, ...argv] : argv);
