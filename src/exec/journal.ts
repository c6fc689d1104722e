// The journal of an apply in flight, next to its lock: written and fsynced once before the first
// operation (the snapshot, the plan), plus a small progress record per invocation (which operations,
// which child). A finished apply — applied, or rolled back — removes both. One that is still there
// with its lock free belongs to a run that died (`kill -9`, a power cut of the process): the next
// apply rolls it back before anything else, and plan and drift-check say so.
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import type { Change, Operation } from '../model.js';
import { liveFromJson, liveToJson, type LiveJson } from './serial.js';
import type { LiveState } from '../model.js';

/** 2: what the engine carries with a resource (nft's listing, OVS's foreign values) is in
 *  `carried`, no longer among its attributes (1): a journal of 1 would roll back without them. */
export const JOURNAL_VERSION = 2;

export interface Journal {
  version: number;
  pid: number;
  /** The process's start time (clock ticks since boot, /proc/PID/stat field 22): tells a reused PID. */
  pidStart: string | null;
  netns: string | null;
  file: string;
  startedAt: string;
  changes: Change[];
  operations: Operation[];
  snapshot: LiveJson;
}

export interface Progress {
  /** Operations first..last (1-based) were being run by this invocation. */
  first: number;
  last: number;
  of: number;
  child: { pid: number; start: string | null; argv: string[] } | null;
}

/** Field 22 of /proc/PID/stat, or null if the process is gone (a zombie has ended: only its
 *  parent has not reaped it yet). */
export function processStart(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[0] === 'Z' || fields[0] === 'X' ? null : (fields[19] ?? null);
  } catch {
    return null;
  }
}

function writeDurably(path: string, text: string) {
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  // The rename itself is made durable by syncing the directory.
  const dir = openSync(path.slice(0, path.lastIndexOf('/')) || '/', 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export function writeJournal(
  base: string,
  j: Omit<Journal, 'version' | 'pid' | 'pidStart' | 'startedAt' | 'snapshot'> & { snapshot: LiveState },
) {
  const full: Journal = {
    version: JOURNAL_VERSION,
    pid: process.pid,
    pidStart: processStart(process.pid),
    startedAt: new Date().toISOString(),
    ...j,
    snapshot: liveToJson(j.snapshot),
  };
  writeDurably(`${base}.journal`, JSON.stringify(full));
}

export function writeProgress(base: string, p: Progress) {
  writeDurably(`${base}.progress`, JSON.stringify(p));
}

export interface FoundJournal {
  journal: Journal;
  snapshot: LiveState;
  progress: Progress | null;
}

/** The journal left for this namespace, if any. An unreadable one is reported, never ignored. */
export function readJournal(base: string): FoundJournal | null {
  let text: string;
  try {
    text = readFileSync(`${base}.journal`, 'utf8');
  } catch (e: any) {
    if (e.code === 'ENOENT') return null;
    throw e;
  }
  const journal = JSON.parse(text) as Journal;
  if (journal.version !== JOURNAL_VERSION)
    throw new Error(`journal version ${journal.version}, this nethost reads ${JOURNAL_VERSION}`);
  let progress: Progress | null = null;
  try {
    progress = JSON.parse(readFileSync(`${base}.progress`, 'utf8'));
  } catch {
    /* killed before its first operation */
  }
  return { journal, snapshot: liveFromJson(journal.snapshot), progress };
}

export function removeJournal(base: string) {
  for (const f of [`${base}.progress`, `${base}.journal`]) {
    try {
      unlinkSync(f);
    } catch {
      /* not there */
    }
  }
}

/** "an apply (pid 123, started …) was interrupted at operation k of n" */
export function interruptedAt(found: FoundJournal): string {
  const j = found.journal;
  const p = found.progress;
  const at = p
    ? `at operation ${p.first} of ${p.of}${p.last > p.first ? ` (operations ${p.first}–${p.last} were running)` : ''}`
    : `before its first operation (of ${j.operations.length})`;
  return `an apply of ${j.file} (pid ${j.pid}, started ${j.startedAt}) was interrupted ${at}`;
}
