// One apply per network namespace at a time: an flock(2) on a file named after the namespace's
// identity (its nsfs inode, so two names for one namespace share one lock), never its name. A holder
// releases the lock by closing the file or by dying: no PID files, no staleness guesses.
//
// Node has no flock call. flock(1) given a file descriptor number locks the open file description
// it inherits and exits; the lock belongs to that description, which nethost keeps open, so it holds
// until nethost closes it or ends (children never inherit it: Node opens files close-on-exec).
import {
  closeSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { spawnSync } from 'node:child_process';
import { NethostError } from '../model.js';

export const runDir = () => process.env.NETHOST_LOCK_DIR ?? '/run/nethost';

const reason = (e: NodeJS.ErrnoException) =>
  e.code === 'EACCES' || e.code === 'EPERM'
    ? 'permission denied (nethost apply must run as root)'
    : e.code === 'ENOENT'
      ? 'no such directory'
      : e.code === 'EROFS'
        ? 'read-only file system'
        : e.code === 'ENOTDIR'
          ? 'a part of the path is not a directory'
          : (e.message ?? String(e)).replace(/^[A-Z]+: /, '');

/** The namespace's identity: device and inode of its nsfs file. */
export function netnsIdentity(netns: string | undefined): string {
  const path = netns ? `/run/netns/${netns}` : '/proc/self/ns/net';
  try {
    const st = statSync(path);
    return `${st.dev}-${st.ino}`;
  } catch (e: any) {
    if (netns && e.code === 'ENOENT')
      throw new NethostError(`network namespace "${netns}" does not exist (ip netns list shows the ones that do)`);
    throw new NethostError(`cannot identify the network namespace (${path}): ${reason(e)}`);
  }
}

/** Creates nethost's run directory (the lock and the journal live there) or says why it cannot. */
export function ensureRunDir(): string {
  const dir = runDir();
  try {
    // One component at a time: Node's recursive mkdir loops forever on paths procfs refuses (/proc/sys/x).
    const parts = dir.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const p = `/${parts.slice(0, i).join('/')}`;
      try {
        mkdirSync(p, { mode: 0o700 });
      } catch (e: any) {
        if (e.code !== 'EEXIST') throw e;
      }
    }
    if (!statSync(dir).isDirectory()) throw Object.assign(new Error('not a directory'), { code: 'ENOTDIR' });
  } catch (e: any) {
    throw new NethostError(
      `cannot use ${dir} for nethost's lock and journal: ${reason(e)}${process.env.NETHOST_LOCK_DIR ? ' (set by NETHOST_LOCK_DIR)' : ''}`,
    );
  }
  return dir;
}

export interface Lock {
  /** Where lock and journal live for this namespace: `${dir}/net-${identity}`. */
  base: string;
  release(): void;
}

/**
 * Takes the namespace's lock, waiting up to `waitSeconds` for another apply to finish.
 * Throws a sentence when it cannot.
 */
export function acquireLock(netns: string | undefined, waitSeconds = 0): Lock {
  const dir = ensureRunDir();
  const base = `${dir}/net-${netnsIdentity(netns)}`;
  const path = `${base}.lock`;
  let fd: number;
  try {
    fd = openSync(path, 'a+', 0o600);
  } catch (e: any) {
    throw new NethostError(`cannot open the lock ${path}: ${reason(e)}`);
  }
  const r = spawnSync(
    'flock',
    ['--exclusive', ...(waitSeconds > 0 ? ['--wait', String(waitSeconds)] : ['--nonblock']), '3'],
    {
      stdio: ['ignore', 'ignore', 'pipe', fd],
    },
  );
  if (r.error || (r.status !== 0 && r.status !== 1)) {
    closeSync(fd);
    const why = r.error
      ? (r.error as NodeJS.ErrnoException).code === 'ENOENT'
        ? 'flock(1) is not installed (util-linux)'
        : r.error.message
      : String(r.stderr).trim();
    throw new NethostError(`cannot take the lock ${path}: ${why}`);
  }
  if (r.status === 1) {
    closeSync(fd);
    const where = netns ? `namespace ${netns}` : 'this network namespace';
    throw new NethostError(
      `another nethost apply is running on ${where}${waitSeconds > 0 ? ` and did not finish within ${waitSeconds} s` : ''}; wait for it, or give --lock-timeout SECONDS (lock: ${path})`,
    );
  }
  // For a person looking at the file; nethost never reads it back.
  try {
    ftruncateSync(fd);
    writeSync(fd, `${process.pid}\n`);
  } catch {
    /* informational only */
  }
  let released = false;
  return {
    base,
    release() {
      if (released) return;
      released = true;
      closeSync(fd);
    },
  };
}

/** Is the lock free right now? (Read-only commands use it to tell a running apply from a dead one.) */
export function lockIsHeld(base: string): boolean {
  let fd: number;
  try {
    fd = openSync(`${base}.lock`, 'r');
  } catch {
    return false;
  }
  try {
    // A shared lock conflicts with an apply's exclusive one; taken and dropped at once.
    const r = spawnSync('flock', ['--shared', '--nonblock', '3'], { stdio: ['ignore', 'ignore', 'ignore', fd] });
    return r.status === 1;
  } finally {
    closeSync(fd);
  }
}

/**
 * The namespace's apply generation: a number every apply raises when it takes the lock and again
 * before it lets go. A reader that saw the same number before and after some reads, with no apply
 * holding the lock at the end, knows that no apply ran in between (the listing memo relies on it).
 */
export function applyGeneration(base: string): string {
  try {
    return readFileSync(`${base}.gen`, 'utf8');
  } catch {
    return '';
  }
}

/** Raises the generation (the lock's holder only). */
export function bumpGeneration(base: string): void {
  const next = String((Number(applyGeneration(base)) || 0) + 1);
  const tmp = `${base}.gen.${process.pid}`;
  writeFileSync(tmp, next, { mode: 0o600 });
  renameSync(tmp, `${base}.gen`); // whole or not at all, for a reader
}
