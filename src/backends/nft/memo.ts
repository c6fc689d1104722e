// What nft lists back for a ruleset nethost rendered, remembered so that a no-op plan need not print
// every rule of the kernel's JSON again: `memo/<hash of the rendered ruleset and the printer>` holds
// the hash of the stateless text listing (`nft -s list table …`) that was listed just before nft's
// JSON of the same tables was printed and found equal to that ruleset, under the apply lock. A read
// whose listing has that hash is that ruleset, exactly: any rule added, removed or changed by hand,
// a flushed table, another nft version, all change the listing and miss the memo, and nft's JSON is
// read and every rule printed and compared as before. Counters (-s) are not in the listing, so they
// never make it miss. Kept under the run directory (root's, tmpfs); a memo that cannot be read or
// written only costs the printing.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { runDir } from '../../exec/lock.js';
import { printerSource } from './print.js';
import { canonicalTable, type FirewallView } from './view.js';

// node:crypto is loaded on the first hash, not at start-up (~7 ms of CPU that a run without a firewall
// never needs); a builtin resolves the same from any path.
let crypto: typeof import('node:crypto') | undefined;
const sha = (parts: string[]) => {
  crypto ??= createRequire('/')('node:crypto') as typeof import('node:crypto');
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex');
};

let printer: string | undefined;
const memoDir = () => join(runDir(), 'nft-memo');

/** The memo's name for a rendered ruleset (with the code that prints listings). */
export function viewKey(v: FirewallView): string {
  printer ??= sha(['text listing', printerSource(), String(canonicalTable)]);
  return sha([printer, v.tables.join(' '), v.chains.join('\n'), v.rules.join('\n'), v.others.join('\n')]);
}

export const listingHash = (listings: string[]) => sha(listings);

export function recalled(key: string): string | undefined {
  try {
    return readFileSync(join(memoDir(), key), 'utf8');
  } catch {
    return undefined;
  }
}

export function remember(key: string, listing: string) {
  try {
    const dir = memoDir();
    // One level at a time, not { recursive }: node's recursive mkdir spins forever under /proc.
    for (const d of [runDir(), dir]) {
      try {
        mkdirSync(d, { mode: 0o700 });
      } catch (e: any) {
        if (e.code !== 'EEXIST') throw e;
      }
    }
    const tmp = join(dir, `.${key}.${process.pid}`);
    writeFileSync(tmp, listing, { mode: 0o600 });
    renameSync(tmp, join(dir, key)); // whole or not at all, for a concurrent reader
  } catch {
    /* not root, or a read-only run directory: the next read prints the rules again */
  }
}
