// nftables: live state from `nft -s list table inet nethost`, `… bridge nethost` (stateless: no
// counter values), nft's JSON of them when the memo does not know that listing (handles cut), and
// `nft -j list chains` (other tables' base chains, for the hook/policy warning), run inside the
// namespace; changes as ONE `nft -f -` transaction per run of
// nft operations, which the kernel commits whole or not at all. Before a plan, the file's ruleset
// is put to the kernel with `nft -c` (check, nothing committed), so a rule this kernel cannot run
// is refused, positioned, before anything changes (apply: only when something runs before the
// transaction; see `check`). A listing memo (memo.ts) spares a no-op read the printing.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DesiredState, Operation } from '../../model.js';
import { NethostError } from '../../model.js';
import type { Backend, InvocationFailure } from '../types.js';
import type { RunControl } from '../../exec/run.js';
import { inNetns, run } from '../../exec/run.js';
import {
  canonicalView,
  carriedOf,
  desiredView,
  FIREWALL_ID,
  kernelRefusal,
  ruleSource,
  sameView,
  type FirewallView,
  type RawNft,
} from './view.js';
import { splitRule, strings, TABLES, textScript } from './ruleset.js';
import { listingHash, recalled, remember, viewKey } from './memo.js';
import { applyGeneration, lockIsHeld, netnsIdentity, runDir } from '../../exec/lock.js';

declare module '../types.js' {
  interface RawLive {
    /** nftables, when nft is installed (absent: no firewall can exist here). */
    nft?: RawNft;
  }
}

const NFT = ['/usr/sbin/nft', '/sbin/nft', '/usr/bin/nft'].find((p) => existsSync(p));

const nftArgv = (netns: string | undefined, args: string[]) => inNetns(netns, ['nft', ...args]);
/** What runs a script, and what is printed for it: one argv for both. */
const scriptArgv = (netns: string | undefined, options: string[]) => nftArgv(netns, [...options, '-f', '-']);

function parseObjects(stdout: string): any[] {
  const doc = JSON.parse(stdout || '{"nftables":[]}');
  return (doc.nftables ?? []).filter((o: any) => !o.metainfo);
}

/** `nft -j -s list …` output without its handles: a handle is never an object's first key (family
 *  is), and `"handle": ` cannot occur inside a JSON string (its quotes would be escaped). */
export const stateless = (stdout: string) => stdout.trim().replace(/, "handle": \d+/g, '');

/** A table's stateless listing (`-s`: no counter values) as text, or as JSON with its handles
 *  dropped; undefined if the table does not exist. */
async function listTable(netns: string | undefined, family: string, json: boolean): Promise<string | undefined> {
  // The text listing is written one token at a time: to a file, not a pipe (see stdoutToFile).
  const r = await run(nftArgv(netns, [...(json ? ['-j'] : []), '-s', 'list', 'table', family, 'nethost']), {
    stdoutToFile: !json,
    readOnly: true,
  });
  if (r.code === 0) return json ? stateless(r.stdout) : r.stdout;
  if (/No such file or directory/.test(r.stderr)) return undefined;
  throw readError(netns, r.stderr);
}

/** Which of nethost's tables exist (`nft -j list tables`: the tables' names, none of their rules). */
async function nethostTables(netns: string | undefined): Promise<Set<string>> {
  const r = await run(nftArgv(netns, ['-j', 'list', 'tables']), { readOnly: true });
  if (r.code !== 0) throw readError(netns, r.stderr);
  return new Set(
    parseObjects(r.stdout)
      .filter((o) => o.table?.name === 'nethost')
      .map((o) => o.table.family),
  );
}

/** A file's text that may name a firewall (a hint to read early; the parsed file decides). */
const NAMES_FIREWALL = /^firewall:|\bguard:/m;

function readError(netns: string | undefined, stderr: string): NethostError {
  const msg = stderr.trim();
  if (netns && /Cannot open network namespace|No such file/.test(msg))
    return new NethostError(`network namespace "${netns}" does not exist (ip netns list shows the ones that do)`);
  if (/Operation not permitted/.test(msg))
    return new NethostError('reading nftables needs root (CAP_NET_ADMIN): run nethost as root');
  return new NethostError(`reading nftables failed: ${msg}`);
}

async function readForwarding(netns: string | undefined): Promise<RawNft['forwarding']> {
  const r = await run(inNetns(netns, ['sysctl', '-e', 'net.ipv4.ip_forward', 'net.ipv6.conf.all.forwarding']), {
    readOnly: true,
  });
  const out: RawNft['forwarding'] = {};
  for (const m of r.stdout.matchAll(/^net\.(ipv4\.ip_forward|ipv6\.conf\.all\.forwarding) = (\S+)/gm))
    out[m[1].startsWith('ipv4') ? 'ipv4' : 'ipv6'] = m[2];
  return out;
}

/** nft's error for a line of the script, and the rule written there. */
function scriptError(stderr: string, ruleAt: Map<number, number>): { rule?: number; message: string } {
  const m = /^[^\n:]*:(\d+):\d+(?:-\d+)?: Error: (.*)$/m.exec(stderr);
  if (!m) return { message: stderr.trim().split('\n')[0] || 'nft failed' };
  const line = Number(m[1]);
  return { rule: ruleAt.get(line), message: m[2] };
}

/** `nft -c` of the file's ruleset in the namespace: the kernel says whether it can run every rule. */
async function checkDesired(netns: string | undefined, desired: DesiredState) {
  const r = desired.resources.get(FIREWALL_ID)!;
  const script = textScript(r.attrs);
  const res = await run(nftArgv(netns, ['-c', '-f', '-']), { input: script.text, readOnly: true });
  if (res.code === 0) return;
  const e = scriptError(res.stderr, script.ruleAt);
  const entry = e.rule !== undefined ? splitRule(strings(r.attrs.rules)[e.rule]) : undefined;
  throw new NethostError(`${desired.file} cannot be applied here`, [
    {
      severity: 'error',
      message: entry
        ? `${kernelRefusal(entry.text, entry.table, e.message)} (${entry.table} nethost, chain ${entry.chain}: ${entry.text})`
        : `nft refused the firewall: ${e.message}`,
      source: e.rule !== undefined ? ruleSource(r, desired.file, e.rule) : r.source,
    },
  ]);
}

export interface TablesRead {
  view: FirewallView;
  /** nft's JSON of each existing table (stateless, handles dropped), when it was read; absent when
   *  the memo knew the listing. */
  listings?: string[];
}

/**
 * The tables' canonical form, from their text listings (`nft -s list table`, about half the work
 * of nft's JSON printer). When the memo knows these listings as the wanted ruleset, that is the
 * view, and no rule is printed. Otherwise nft's JSON is read and every rule printed; a view equal
 * to the wanted one is remembered with the text's hash when `mayRemember()` says, after the JSON
 * was read, that no nethost apply can have changed the tables between the two listings, and the
 * text listed again (`readTexts`) is the same: a change by hand between the text and the JSON
 * listing must not get a drifted text remembered as in sync. Without texts (the verification right
 * after an apply's transaction), nft's JSON alone is read and printed.
 */
export async function viewOf(
  texts: (string | undefined)[] | undefined,
  want: FirewallView | undefined,
  readJson: () => Promise<(string | undefined)[]>,
  mayRemember: () => boolean,
  readTexts: () => Promise<(string | undefined)[]>,
): Promise<TablesRead> {
  const present = texts?.filter((l): l is string => l !== undefined);
  if (present && !present.length) return { view: canonicalView({}), listings: [] };
  const key = want && present && viewKey(want);
  const hash = key && listingHash(present!);
  if (key && recalled(key) === hash) return { view: want! };
  const listings = await readJson();
  const tables: RawNft['tables'] = {};
  TABLES.forEach((t, i) => listings[i] !== undefined && (tables[t] = parseObjects(listings[i]!)));
  const view = canonicalView(tables);
  if (key && sameView(view, want!) && mayRemember()) {
    const again = (await readTexts()).filter((l): l is string => l !== undefined);
    if (again.length === present!.length && listingHash(again) === hash && mayRemember()) remember(key, hash!);
  }
  return { view, listings: listings.filter((l): l is string => l !== undefined) };
}

/** For a plan (no lock): whether no apply ran from now until the returned check is called. */
export function noApplyMeanwhile(netns: string | undefined): () => boolean {
  let base: string;
  try {
    base = `${runDir()}/net-${netnsIdentity(netns)}`;
  } catch {
    return () => false;
  }
  const before = applyGeneration(base);
  return () => applyGeneration(base) === before && !lockIsHeld(base);
}

/**
 * `nft [-j] -f -` with the script on stdin. nft reads JSON from the path /dev/stdin, which cannot
 * be opened when stdin is a socket (node's pipes are): JSON is written to a private temporary file
 * given as stdin, so the command is the same `nft -j -f -` that --script and the plan print.
 */
async function runScript(netns: string | undefined, options: string[], input: string, control: RunControl = {}) {
  const argv = scriptArgv(netns, options);
  if (!options.includes('-j')) return run(argv, { ...control, input });
  const dir = mkdtempSync(join(tmpdir(), 'nethost-nft-'));
  try {
    const file = join(dir, 'ruleset.json');
    writeFileSync(file, input, { mode: 0o600 });
    return await run(argv, { ...control, stdinFile: file });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const nftBackend: Backend = {
  name: 'nft',
  async read({ netns, desired, deferChecks, locked, verifying, fileText }) {
    if (!NFT) {
      const d = await desired;
      if (d?.resources.has(FIREWALL_ID))
        throw new NethostError('the file has a firewall, but nft is not installed (apt-get install nftables)');
      return {};
    }
    // The forwarding sysctls, when the file's rules need them, are read alongside the tables: at
    // once when the text has a top-level `firewall:` (a hint, so as not to wait for the parse),
    // else once the file says so.
    // (Started inside the callback itself: the parse runs right after the text arrives, and a
    // later tick would come after it.)
    const early = fileText?.then(
      (t) => (/^firewall:/m.test(t) ? readForwarding(netns) : undefined),
      () => undefined,
    );
    early?.catch(() => {});
    // Other tables' base chains matter only to a file with a firewall (the warning about their drop
    // policies): listed at once when the text names one (`firewall:` or a `guard:`), else only if
    // the parsed file has one after all.
    const listChains = () =>
      run(nftArgv(netns, ['-j', 'list', 'chains']), { readOnly: true }).then((r) => {
        if (r.code !== 0) throw readError(netns, r.stderr);
        return parseObjects(r.stdout);
      });
    const hintedChains = fileText?.then(
      (t) => (NAMES_FIREWALL.test(t) ? listChains() : undefined),
      () => undefined,
    );
    // (The verification compares resources only: it needs none.)
    const chainsRead = verifying
      ? Promise.resolve([])
      : (async () =>
          (await hintedChains) ?? ((await desired)?.resources.has(FIREWALL_ID) || !fileText ? listChains() : []))();
    chainsRead.catch(() => {}); // awaited below
    const forwarding = (async () => {
      const fw = (await desired)?.resources.get(FIREWALL_ID);
      if (!carriedOf(fw).forwarding?.length) return undefined;
      return (await early) ?? readForwarding(netns);
    })();
    forwarding.catch(() => {}); // awaited below, after the tables' own errors
    // Read before the listings: an apply that starts later changes the number.
    const mayRemember = locked ? () => true : noApplyMeanwhile(netns);
    // The verification right after the transaction reads nft's JSON only: the tables were just
    // written, and it prints them anyway (the next read that lists the text writes the memo).
    // A file whose text names no firewall mostly meets a host without nethost's tables: one
    // `nft -j list tables` says which of them exist, and only those are listed (a file that dropped
    // its firewall still finds them, and its plan deletes them). A file that names one, or no text
    // (a restore's target), lists both at once. (Started inside the callback, as above.)
    const list = (have?: Set<string>) =>
      Promise.all(
        // The longer listing first.
        ['bridge', 'inet'].map((f) => (!have || have.has(f) ? listTable(netns, f, false) : undefined)),
      ).then(([b, i]) => [i, b]);
    const textsRead = verifying
      ? Promise.resolve([])
      : fileText
        ? fileText.then(
            (t) => (NAMES_FIREWALL.test(t) ? list() : nethostTables(netns).then(list)),
            () => list(),
          )
        : list();
    const [[inet, bridge], chains] = await Promise.all([textsRead, chainsRead]);
    const foreign = chains
      .map((o) => o.chain)
      .filter((c) => c?.hook && c.table !== 'nethost')
      .map((c) => ({ family: c.family, table: c.table, name: c.name, hook: c.hook, policy: c.policy ?? 'accept' }));
    const d = await desired;
    const fw = d?.resources.get(FIREWALL_ID);
    // The file's firewall, or a snapshot's (a restore's target): the view to recognise.
    const want = fw ? desiredView(fw.attrs) : undefined;
    const texts = verifying ? undefined : [inet, bridge];
    const json = () =>
      Promise.all(TABLES.map((t, i) => (texts && texts[i] === undefined ? undefined : listTable(netns, t, true))));
    const relist = () => Promise.all(TABLES.map((t) => listTable(netns, t, false)));
    const { view, listings } = await viewOf(texts, want, json, mayRemember, relist);
    const nft: RawNft = { tables: {}, view, listings, fromMemo: listings === undefined, foreign };
    await Promise.all([
      // Nothing to load, so nothing to check, when the tables already hold exactly these rules.
      fw && !carriedOf(fw).listed && !sameView(view, want!) && !deferChecks ? checkDesired(netns, d!) : undefined,
      forwarding.then((f) => f && (nft.forwarding = f)),
    ]);
    return { nft };
  },
  empty: () => ({}),
  independent: true,
  // Apply: `nft -c` only when something runs before the transaction. When the transaction runs
  // first, it is its own check: the kernel takes it whole or not at all, nothing before it is to
  // undo, and a refused rule is named by its line in the file all the same (refusedLine).
  async check(plan, desired, netns) {
    const fw = desired.resources.get(FIREWALL_ID);
    if (!fw || carriedOf(fw).listed) return;
    const first = plan.operations.findIndex((o) => o.backend === 'nft' && !o.options?.includes('-j'));
    if (first > 0) await checkDesired(netns, desired);
  },
  groupKey: (op) => (op.options ?? []).join(' '),
  command: (op, netns) => scriptArgv(netns, op.options ?? []),
  input: (op) => op.args.join(''),
  async run(ops: Operation[], netns, control): Promise<InvocationFailure | undefined> {
    // One transaction: the scripts one after the other (each replaces both tables whole).
    const input = ops.map((o) => o.args.join('')).join('');
    const r = await runScript(netns, ops[0].options ?? [], input, control);
    if (r.stopped) return { index: 0, message: 'stopped', tookEffect: 'none', stopped: true };
    if (r.code === 0) return undefined;
    // Which operation's text holds the failing line, and that line (nft names it by number).
    const m = /^[^\n:]*:(\d+):\d+(?:-\d+)?: Error: (.*)$/m.exec(r.stderr);
    let index = 0;
    let message = r.stderr.trim().split('\n')[0] || `nft exited ${r.code}`;
    if (m) {
      let line = Number(m[1]);
      for (; index < ops.length - 1; index++) {
        const n = ops[index].args.join('').split('\n').length - 1;
        if (line <= n) break;
        line -= n;
      }
      const text = ops[index].args.join('').split('\n')[line - 1]?.trim();
      message = `${m[2]}${text ? ` (line ${line}: ${text})` : ''}`;
      return { index, message, tookEffect: 'none', line: { number: line, message: m[2] } };
    }
    return { index, message, tookEffect: 'none' };
  },
};
