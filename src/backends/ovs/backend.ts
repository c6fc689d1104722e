// Open vSwitch: live state from one `ovs-vsctl --format=json -- list Bridge -- list Port -- list
// Interface` (only the columns nethost manages); changes as one OVSDB transaction per run of
// consecutive OVS operations (`ovs-vsctl -- cmd -- cmd …`). ovs-vsctl waits until ovs-vswitchd has
// applied a transaction, but exits 0 even when vswitchd could not build a port, so success is read
// back from the rows. Which OVSDB: `--ovsdb unix:PATH` (or NETHOST_OVSDB), else ovs-vsctl's own
// default (`$OVS_RUNDIR/db.sock`). One OVSDB serves the namespace its ovs-vswitchd runs in, which is
// checked against the namespace nethost targets.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DesiredState, Diagnostic, Operation } from '../../model.js';
import { NethostError } from '../../model.js';
import type { Backend, BackendOptions, InvocationFailure } from '../types.js';
import type { RunControl } from '../../exec/run.js';
import { run } from '../../exec/run.js';
import {
  PSK_REF_KEY,
  BRIDGE_COLUMNS,
  INTERFACE_COLUMNS,
  parseOvsLists,
  parseTable,
  PORT_COLUMNS,
  type OvsLive,
} from './rows.js';
import { HELD, holdKey, namesHeldKey, namesKey, redactKeys, resolvePsk, PSK_REF } from './psk.js';
import { shellQuote } from '../../util/text.js';

declare module '../types.js' {
  interface BackendOptions {
    /** The OVSDB to talk to, `unix:PATH` (`--ovsdb`; default NETHOST_OVSDB, then ovs-vsctl's own). */
    ovsdb?: string;
  }
}

/** Seconds ovs-vsctl may wait for ovsdb-server (and, for changes, for ovs-vswitchd). */
const timeout = () => Math.max(1, Number(process.env.NETHOST_OVS_TIMEOUT) || 20);

export interface OvsDb {
  /** `unix:PATH` */
  remote: string;
  path: string;
  /** Where ovs-vswitchd's pid file and the daemons' control sockets are. */
  rundir: string;
  /** Named by --ovsdb or NETHOST_OVSDB (passed as --db=), rather than ovs-vsctl's default. */
  explicit: boolean;
}

export function resolveDb(options: BackendOptions = {}): OvsDb {
  const given = options.ovsdb ?? process.env.NETHOST_OVSDB;
  if (given !== undefined && given !== '') {
    const m = /^unix:(\/.+)$/.exec(given);
    if (!m)
      throw new NethostError(
        `--ovsdb ${JSON.stringify(given)}: write unix:PATH, the absolute path of ovsdb-server's socket (e.g. unix:/run/openvswitch/db.sock)`,
      );
    return { remote: given, path: m[1], rundir: dirname(m[1]), explicit: true };
  }
  const rundir = process.env.OVS_RUNDIR || '/var/run/openvswitch';
  return { remote: `unix:${rundir}/db.sock`, path: `${rundir}/db.sock`, rundir, explicit: false };
}

export const vsctlArgv = (db: OvsDb, ...rest: string[]) => [
  'ovs-vsctl',
  `--timeout=${timeout()}`,
  ...(db.explicit ? [`--db=${db.remote}`] : []),
  ...rest,
];

/** Does a state name anything of Open vSwitch? */
export const hasOvs = (s: DesiredState | undefined) =>
  !!s && [...s.resources.values()].some((r) => r.kind.startsWith('ovs-'));

const nsInode = (path: string) => {
  const st = statSync(path);
  return `${st.dev}-${st.ino}`;
};

/** Is the ovs-vswitchd of this OVSDB running in the namespace nethost targets? (undefined: no vswitchd) */
function vswitchdIn(db: OvsDb, netns: string | undefined): { pid: number; same: boolean } | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(`${db.rundir}/ovs-vswitchd.pid`, 'utf8').trim());
  } catch {
    return undefined;
  }
  try {
    const theirs = nsInode(`/proc/${pid}/ns/net`);
    const ours = nsInode(netns ? `/run/netns/${netns}` : '/proc/self/ns/net');
    return { pid, same: theirs === ours };
  } catch {
    return undefined; // a stale pid file: vswitchd is not running
  }
}

const where = (netns: string | undefined) => (netns ? `namespace ${netns}` : 'this namespace');

/** The one read of the three tables (bench/ovs.mjs times it raw). */
export const readArgv = (db: OvsDb) =>
  vsctlArgv(
    db,
    '--format=json',
    '--',
    `--columns=${BRIDGE_COLUMNS.join(',')}`,
    'list',
    'Bridge',
    '--',
    `--columns=${PORT_COLUMNS.join(',')}`,
    'list',
    'Port',
    '--',
    `--columns=${INTERFACE_COLUMNS.join(',')}`,
    'list',
    'Interface',
  );

async function readTables(db: OvsDb, control: RunControl = {}): Promise<OvsLive> {
  const r = await run(readArgv(db), { ...control, timeoutMs: (timeout() + 5) * 1000, readOnly: true });
  if (r.code !== 0) {
    const msg = r.stderr.trim().replace(/^ovs-vsctl: /, '');
    if (/timeout|alarm/i.test(msg) || r.code === 142)
      throw new NethostError(`ovsdb-server at ${db.remote} did not answer within ${timeout()} s; nothing was changed`);
    throw new NethostError(`reading Open vSwitch (${db.remote}) failed: ${msg || `ovs-vsctl exited ${r.code}`}`);
  }
  try {
    return parseOvsLists(r.stdout, db.remote);
  } catch (e: any) {
    throw new NethostError(`unexpected output from ovs-vsctl: ${e.message}`);
  }
}

/** ovs-monitor-ipsec of this OVSDB (its pid file and control socket sit in the same run directory):
 *  does it answer, and does it run in the namespace nethost targets (its IKE daemon keys the xfrm
 *  of its own namespace, so one running elsewhere leaves the tunnel unencrypted here)? */
async function ipsecMonitor(db: OvsDb, netns: string | undefined): Promise<{ answers: boolean; elsewhere?: number }> {
  let pid: number;
  try {
    pid = Number(readFileSync(`${db.rundir}/ovs-monitor-ipsec.pid`, 'utf8').trim());
  } catch {
    return { answers: false };
  }
  try {
    if (nsInode(`/proc/${pid}/ns/net`) !== nsInode(netns ? `/run/netns/${netns}` : '/proc/self/ns/net'))
      return { answers: false, elsewhere: pid };
  } catch {
    return { answers: false }; // a stale pid file
  }
  try {
    const r = await run(
      ['ovs-appctl', `--timeout=${timeout()}`, '-t', `${db.rundir}/ovs-monitor-ipsec.${pid}.ctl`, 'version'],
      { timeoutMs: (timeout() + 5) * 1000, readOnly: true },
    );
    return { answers: r.code === 0 };
  } catch {
    return { answers: false };
  }
}

async function readOvs(
  netns: string | undefined,
  file: Promise<DesiredState | undefined>,
  also: DesiredState[],
  options: BackendOptions = {},
): Promise<OvsLive | null> {
  const db = resolveDb(options);
  const vs = existsSync(db.path) ? vswitchdIn(db, netns) : undefined;
  // An instance of this namespace is read at once, while the file loads; whether the file needs it
  // (and what is wrong when it is not there) is decided once the file is in.
  const early = vs?.same ? readTables(db) : undefined;
  early?.catch(() => {}); // awaited below, or not needed
  const desired = await file;
  const needed = hasOvs(desired) || also.some(hasOvs);
  if (!needed) {
    // A file without OVS never needs it: read only an instance that is there and serves this
    // namespace (so that rows nethost made earlier are removed), and take any trouble as "no OVS".
    return early ? early.catch(() => null) : null;
  }
  if (!existsSync(db.path))
    throw new NethostError(
      `the file configures Open vSwitch, but no ovsdb-server listens at ${db.remote}${db.explicit ? '' : " (ovs-vsctl's default)"}`,
      [
        {
          severity: 'error',
          message:
            'start Open vSwitch (systemctl start openvswitch-switch), or point --ovsdb (NETHOST_OVSDB) at the database of the instance that serves this namespace',
          hint: 'nothing was changed',
        },
      ],
    );
  if (!vs)
    throw new NethostError(
      `ovs-vswitchd of ${db.remote} is not running (no live pid in ${db.rundir}/ovs-vswitchd.pid): OVS would accept the changes and build nothing; nothing was changed`,
    );
  if (!vs.same)
    throw new NethostError(
      `the Open vSwitch at ${db.remote} serves another network namespace than ${where(netns)} (its ovs-vswitchd, pid ${vs.pid}, runs elsewhere), so its bridges and internal ports would not appear here; run an instance inside it (ip netns exec NS ovsdb-server / ovs-vswitchd) and name its database with --ovsdb unix:PATH; nothing was changed`,
    );
  const live = await early!;
  markOtherKeys(live);
  // The tunnels that name an IPsec key (only a tunnel's Interface row carries one).
  const ipsec = [...(desired?.resources.values() ?? [])].filter((r) => typeof r.attrs.ipsec === 'string');
  if (ipsec.length) {
    const names = ipsec.map((r) => r.id.slice(r.id.indexOf(':') + 1)).join(', ');
    // Without the monitor OVS carries the tunnel in clear: refuse before anything changes.
    const m = await ipsecMonitor(db, netns);
    live.ipsecMonitor = m.answers;
    if (m.elsewhere)
      throw new NethostError(
        `IPsec tunnel ${names}: the ovs-monitor-ipsec of ${db.remote} (pid ${m.elsewhere}) runs in another network namespace than ${where(netns)}, so its IKE daemon keys that namespace and OVS would carry the tunnel unencrypted here; run it inside (ip netns exec NS ovs-monitor-ipsec ${db.remote} …) with its own strongSwan or Libreswan; nothing was changed`,
      );
    if (!m.answers)
      throw new NethostError(
        `IPsec tunnel ${names}: ovs-monitor-ipsec does not answer (no ${db.rundir}/ovs-monitor-ipsec.pid, or its control socket is silent), so OVS would carry the tunnel unencrypted; start it (systemctl start openvswitch-ipsec) with strongSwan or Libreswan; nothing was changed`,
      );
    // The key must be readable now, not halfway through the apply (never printed).
    const unreadable: Diagnostic[] = [];
    for (const r of ipsec) {
      // A rollback's target may name the key a tunnel had (held, or set by hand): nothing to read.
      if (namesHeldKey(r.attrs.ipsec)) continue;
      try {
        resolvePsk(String(r.attrs.ipsec), r.id.slice(r.id.indexOf(':') + 1));
      } catch (e: any) {
        unreadable.push({
          severity: 'error',
          message: e.message,
          hint: 'write the key (8 or more printable characters) where ipsec: names it; nothing was changed',
          source: r.source,
        });
      }
    }
    if (unreadable.length) throw new NethostError(`${desired!.file} cannot be applied here`, unreadable);
  }
  return live;
}

/**
 * Tunnels whose key in OVSDB is not the one their reference names now (a rotated key file or
 * variable, or options:psk changed by hand): marked for the live state, which shows it as a change.
 * Their key, and a key set by hand without a reference, is kept in this process for a rollback.
 * Compared here, never printed.
 */
export function markOtherKeys(live: OvsLive): void {
  for (const i of live.interfaces) {
    const ref = i.external_ids[PSK_REF_KEY];
    const key = i.options.psk;
    if (key === undefined) continue;
    if (ref === undefined)
      holdKey(i.name, key); // set by hand: what a rollback puts back
    else if (namesKey(ref, key) === false) {
      (live.otherKey ??= []).push(i.name);
      holdKey(i.name, key);
    }
  }
}

/** The interfaces and bridges whose building a run's commands ask of ovs-vswitchd. */
export function builtBy(ops: Operation[]): { interfaces: Map<string, number>; bridges: Map<string, number> } {
  const interfaces = new Map<string, number>();
  const bridges = new Map<string, number>();
  ops.forEach((o, i) => {
    const [cmd, a, b, ...rest] = o.args;
    if (cmd === 'add-br') bridges.set(a, i), interfaces.set(a, i);
    else if (cmd === 'add-port') interfaces.set(b, i);
    else if (cmd === 'add-bond')
      for (const x of rest.filter((s) => !s.includes('=') && !s.startsWith('--'))) interfaces.set(x, i);
    else if (cmd === 'add-bond-iface') interfaces.set(b, i);
    else if (cmd === 'set' && a === 'Interface') interfaces.set(b, i);
    else if (cmd === 'set' && a === 'Bridge' && rest.some((s) => s.startsWith('datapath_type='))) bridges.set(b, i);
  });
  // Rows deleted later in the same run are not expected to exist.
  ops.forEach((o) => {
    if (o.args[0] === 'del-port') interfaces.delete(o.args[o.args.length - 1]);
    if (o.args[0] === 'del-br') bridges.delete(o.args[1]), interfaces.delete(o.args[1]);
  });
  return { interfaces, bridges };
}

/** One op's command with the key left out (`--script`, JSON, errors): it is read at run time. */
function shown(args: string[]): string[] {
  return args.map((a) => {
    const i = a.indexOf(PSK_REF);
    if (i < 0) return a;
    const ref = a.slice(i + PSK_REF.length);
    return `${a.slice(0, i)}<${ref.startsWith('file:') ? `read from ${ref.slice(5)}` : ref.startsWith(HELD) ? 'the key it had' : `from $${ref.slice(4)}`}>`;
  });
}

const chain = (ops: Operation[], f: (a: string[]) => string[]) => ops.flatMap((o) => ['--', ...f(o.args)]);

export const ovsBackend: Backend = {
  name: 'ovs',
  async read({ netns, desired, also = [], options }) {
    return { ovs: await readOvs(netns, desired, also, options) };
  },
  empty: () => ({ ovs: null }),
  // Ops share one transaction unless one must see the previous one applied first (`options`).
  groupKey: (op) => (op.options ?? []).join(' '),
  command: (op, _netns, options) => vsctlArgv(resolveDb(options), '--', ...shown(op.args)),
  script(ops, _netns, options) {
    // One transaction, one command; the key is read from its file (or variable) when the script runs.
    const head = vsctlArgv(resolveDb(options)).map(shellQuote).join(' ');
    const parts = ops.map((o) =>
      o.args
        .map((a) => {
          const i = a.indexOf(PSK_REF);
          if (i < 0) return shellQuote(a);
          const ref = a.slice(i + PSK_REF.length);
          // (A rollback's key it had is never printed: a script of one stops at the variable.)
          const value = ref.startsWith('file:')
            ? `$(cat ${shellQuote(ref.slice(5))})`
            : ref.startsWith(HELD)
              ? `\${NETHOST_OLD_PSK:?the key it had is never printed}`
              : `\${${ref.slice(4)}:?}`;
          return `"${a.slice(0, i)}\\"${value}\\""`;
        })
        .join(' '),
    );
    return [[head, ...parts].join(' \\\n  -- ')];
  },
  async run(ops, _netns, control): Promise<InvocationFailure | undefined> {
    const db = resolveDb(control.options);
    let args: string[];
    const keys: string[] = [];
    try {
      args = chain(ops, (a) =>
        a.map((x) => {
          const i = x.indexOf(PSK_REF);
          if (i < 0) return x;
          const key = resolvePsk(x.slice(i + PSK_REF.length));
          keys.push(key);
          return x.slice(0, i) + JSON.stringify(key);
        }),
      );
    } catch (e: any) {
      return { index: 0, message: e.message, tookEffect: 'none' };
    }
    const r = await run(vsctlArgv(db, ...args), { ...control, secrets: keys, timeoutMs: (timeout() + 5) * 1000 }).catch(
      (e: NethostError) => ({ code: 1, stdout: '', stderr: e.message, stopped: false, threw: true }),
    );
    if (r.stopped) return { index: 0, message: 'stopped', tookEffect: 'prefix', stopped: true };
    if (r.code !== 0) {
      const msg = redactKeys(
        r.stderr
          .trim()
          .split('\n')
          .map((l) => l.replace(/^ovs-vsctl: /, ''))
          .filter((l) => !/default log directory/.test(l))
          .join('; '),
        keys,
      );
      // ovs-vsctl gives up waiting for ovs-vswitchd after committing: the transaction may be in.
      const timedOut = r.code === 142 || /timeout|did not answer/i.test(msg);
      const index = Math.max(
        0,
        ops.findIndex((o) => o.args.slice(1).some((a) => a.length > 1 && msg.includes(a))),
      );
      return {
        index,
        message: timedOut ? `no answer within ${timeout()} s (${msg})` : msg || `ovs-vsctl exited ${r.code}`,
        tookEffect: timedOut ? 'prefix' : 'none',
      };
    }
    // Committed. Did ovs-vswitchd build every interface and bridge the run asked for?
    const want = builtBy(ops);
    if (!want.interfaces.size && !want.bridges.size) return undefined;
    const back = await run(
      vsctlArgv(
        db,
        '--format=json',
        '--',
        '--columns=name,error,ofport',
        'list',
        'Interface',
        '--',
        '--columns=name,datapath_id',
        'list',
        'Bridge',
      ),
      { timeoutMs: (timeout() + 5) * 1000, readOnly: true },
    );
    const docs = back.stdout.split('\n').filter((l) => l.trim());
    if (back.code !== 0 || docs.length !== 2)
      return {
        index: ops.length - 1,
        message: `the transaction was committed, but reading it back failed: ${back.stderr.trim()}`,
        tookEffect: 'prefix',
      };
    const ifaces = new Map(parseTable(docs[0]).map((x) => [String(x.name), x]));
    const brs = new Map(parseTable(docs[1]).map((x) => [String(x.name), x]));
    const problems: { index: number; text: string }[] = [];
    for (const [name, i] of want.interfaces) {
      const row = ifaces.get(name);
      const err = row && typeof row.error === 'string' ? row.error : '';
      const ofport = row && typeof row.ofport === 'number' ? row.ofport : -1;
      if (!row) problems.push({ index: i, text: `interface ${name} is not in the database` });
      else if (err || ofport <= 0)
        problems.push({
          index: i,
          text: `ovs-vswitchd could not build interface ${name}: ${err || `ofport ${JSON.stringify(row.ofport)}`}`,
        });
    }
    for (const [name, i] of want.bridges) {
      const id = brs.get(name)?.datapath_id;
      if (typeof id !== 'string' || !id)
        problems.push({ index: i, text: `ovs-vswitchd did not build bridge ${name} (no datapath_id)` });
    }
    if (!problems.length) return undefined;
    problems.sort((a, b) => a.index - b.index);
    // Everything of the run is in the database: the rollback puts the rows back as they were.
    return { index: problems[0].index, message: problems.map((p) => p.text).join('; '), tookEffect: 'prefix' };
  },
};
