// A private Open vSwitch for a test: ovsdb-server and ovs-vswitchd started inside a namespace the
// test created, with their own run, log and database directory, stopped by PID afterwards. The
// userspace datapath (datapath: netdev) needs no kernel module. Never the system's OVS.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Ovs {
  netns: string;
  dir: string;
  /** unix:PATH, for --ovsdb */
  db: string;
  /** ovs-vsctl on this instance, returning stdout. */
  vsctl(...args: string[]): string;
  /** The rows of a table as objects (ovs-vsctl --format=json list, decoded). */
  rows(table: string, ...names: string[]): Record<string, any>[];
  /** ovs-appctl on this instance's ovs-vswitchd. */
  appctl(...args: string[]): string;
  pids: number[];
}

const started = new Set<Ovs>();

function datum(v: any): any {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string') {
    if (v[0] === 'uuid') return v[1];
    if (v[0] === 'set') return v[1].map(datum);
    if (v[0] === 'map') return Object.fromEntries(v[1].map(([k, x]: any[]) => [k, datum(x)]));
  }
  return v;
}

export function startOvs(netns: string): Ovs {
  const dir = mkdtempSync(join(tmpdir(), 'nht-ovs-'));
  const env = { ...process.env, OVS_RUNDIR: dir, OVS_LOGDIR: dir, OVS_DBDIR: dir };
  const sh = (argv: string[]) =>
    execFileSync(argv[0], argv.slice(1), { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  sh(['ovsdb-tool', 'create', `${dir}/conf.db`, '/usr/share/openvswitch/vswitch.ovsschema']);
  sh([
    'ip',
    'netns',
    'exec',
    netns,
    'ovsdb-server',
    `${dir}/conf.db`,
    `--remote=punix:${dir}/db.sock`,
    '-vconsole:off',
    `--pidfile=${dir}/ovsdb-server.pid`,
    `--log-file=${dir}/ovsdb-server.log`,
    '--detach',
    '--no-chdir',
  ]);
  const pids = [Number(readFileSync(`${dir}/ovsdb-server.pid`, 'utf8'))];
  const ovs: Ovs = {
    netns,
    dir,
    db: `unix:${dir}/db.sock`,
    pids,
    vsctl: (...args) => sh(['ovs-vsctl', `--db=unix:${dir}/db.sock`, '--timeout=30', ...args]),
    rows: (table, ...names) => {
      const t = JSON.parse(ovs.vsctl('--format=json', 'list', table, ...names));
      return t.data.map((r: any[]) => Object.fromEntries(t.headings.map((h: string, i: number) => [h, datum(r[i])])));
    },
    appctl: (...args) => sh(['ovs-appctl', '-t', `${dir}/ovs-vswitchd.${pids[1]}.ctl`, ...args]),
  };
  started.add(ovs);
  ovs.vsctl('--no-wait', 'init');
  sh([
    'ip',
    'netns',
    'exec',
    netns,
    'ovs-vswitchd',
    `unix:${dir}/db.sock`,
    '-vconsole:off',
    `--pidfile=${dir}/ovs-vswitchd.pid`,
    `--log-file=${dir}/ovs-vswitchd.log`,
    '--detach',
    '--no-chdir',
  ]);
  pids.push(Number(readFileSync(`${dir}/ovs-vswitchd.pid`, 'utf8')));
  ovs.vsctl('init'); // returns once ovs-vswitchd has applied the configuration
  return ovs;
}

/** Running (a zombie whose parent has not reaped it yet counts as stopped). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export function stopOvs(ovs: Ovs) {
  if (!started.has(ovs)) return;
  for (const pid of [...ovs.pids].reverse()) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  for (let i = 0; i < 200 && ovs.pids.some(alive); i++) spawnSync('sleep', ['0.05']);
  for (const pid of ovs.pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
  rmSync(ovs.dir, { recursive: true, force: true });
  started.delete(ovs);
}

export function stopAllOvs() {
  for (const o of [...started]) stopOvs(o);
}
