// IPsec GRE between two Open vSwitch hosts on the kernel datapath, in the kernel lab guest, as OVS's
// own tests/system-ipsec.at does it: each host a namespace with its own ovsdb-server/ovs-vswitchd,
// ovs-monitor-ipsec and IKE daemon (strongSwan's starter and charon, which Debian's
// openvswitch-ipsec drives). Host 1 applies examples/ovs-ipsec-gre.yaml as it is (psk_file), host 2
// its mirror image with psk_env. Once both kernels hold the tunnel's policy, pings cross it and the
// underlay (a bridge in a third namespace, with nft counters) carries ESP and not one plain GRE
// packet; the key is in none of nethost's output; a second plan is empty; removing the tunnel from
// the file removes it. And the unhappy paths with the daemons running: an unreadable key, a monitor
// that stopped; a key rotated in the file (drift, a failed apply that puts the old key back, both
// hosts rotated). (Before the monitor has keyed a new tunnel OVS may send it in clear, a race OVS
// documents: the packets of that moment are counted and printed, not asserted.)
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { requireLab } from './guard.js';
import { deleteAllNetns, ip, ipJson, newNetns, nethost, tempFile } from '../helpers/netns.js';
import { startOvs, stopAllOvs, type Ovs } from '../helpers/ovs.js';
import { applyFile, planFile } from '../../src/engine/index.js';
import { renderScript } from '../../src/render/script.js';

requireLab();

const EXAMPLE = 'examples/ovs-ipsec-gre.yaml';
const KEY_FILE = '/etc/nethost/ipsec.psk'; // the example's; the guest's / is a throwaway overlay
const KEY = 'lab-Sw0rdfish-7c1e';
const KEY2 = 'lab-R0tated-4b2d'; // the key after rotation
const ENV = 'NETHOST_LAB_PSK';
const t0 = Date.now();
const say = (s: string) => process.stderr.write(`ipsec lab: ${Math.round((Date.now() - t0) / 1000)} s: ${s}\n`);
const sleep = (s: number) => spawnSync('sleep', [String(s)]);

// In the namespace's own mount namespace (ip netns exec makes one): /run and strongSwan's
// ipsec.conf and ipsec.secrets become the host's own files, so two charons do not share pid files,
// stroke sockets or secrets. ovs-monitor-ipsec writes those files and runs `ipsec restart` before it
// detaches; its pid file and control socket go to the OVS run directory (OVS_RUNDIR), where
// nethost looks for them. Paths are positional arguments, never part of the script.
const MONITOR = [
  'mount --bind "$1/ike/run" /run',
  'mount --bind /dev/null /dev/console', // starter and charon log there without syslog
  'mount --bind "$1/ike/ipsec.conf" /etc/ipsec.conf',
  'mount --bind "$1/ike/ipsec.secrets" /etc/ipsec.secrets',
  'exec /usr/share/openvswitch/scripts/ovs-monitor-ipsec "unix:$1/db.sock" --ike-daemon=strongswan --pidfile="$1/ovs-monitor-ipsec.pid" --log-file="$1/ovs-monitor-ipsec.log" -vconsole:off --detach </dev/null >"$1/ike/daemons.out" 2>&1',
].join(' && ');

interface Host {
  ns: string;
  ovs: Ovs;
  stopped?: boolean;
}
const hosts: Host[] = [];

const pidIn = (f: string) => (existsSync(f) ? Number(readFileSync(f, 'utf8').trim()) || undefined : undefined);
/** Running (a zombie not yet reaped counts as stopped; the process may go between two reads). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
/** ovs-monitor-ipsec, strongSwan's starter and charon of a host, by PID (none may outlive the test). */
function stopIke(h: Host) {
  if (h.stopped) return;
  h.stopped = true;
  for (const f of [
    `${h.ovs.dir}/ovs-monitor-ipsec.pid`,
    `${h.ovs.dir}/ike/run/starter.charon.pid`,
    `${h.ovs.dir}/ike/run/charon.pid`,
  ]) {
    const pid = pidIn(f);
    if (!pid) continue;
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    for (let i = 0; i < 100 && alive(pid); i++) sleep(0.05);
  }
}

beforeAll(() => {
  spawnSync('modprobe', ['openvswitch']);
});
afterAll(() => {
  hosts.forEach(stopIke);
  stopAllOvs();
  deleteAllNetns();
  rmSync(KEY_FILE, { force: true });
});

const counter = (ns: string, name: string) =>
  JSON.parse(
    spawnSync('ip', ['netns', 'exec', ns, 'nft', '-j', 'list', 'counter', 'bridge', 'underlay', name], {
      encoding: 'utf8',
    }).stdout,
  ).nftables[1].counter.packets as number;
const ping = (ns: string, to: string, n = 1) =>
  spawnSync('ip', ['netns', 'exec', ns, 'ping', '-c', String(n), '-i', '0.3', '-W', '2', to]).status === 0;
/** nethost's CLI, asynchronously (the two hosts apply at once), with extra environment. */
function nh(env: Record<string, string>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(
      process.execPath,
      ['bin/run.js', ...args],
      { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } },
      (e: any, stdout, stderr) => resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
    ),
  );
}
/** strongSwan's `ipsec` of a host, in its namespaces (network and mount: its /run). */
const ike = (h: Host, ...args: string[]) =>
  spawnSync(
    'timeout',
    ['60', 'nsenter', '-t', String(pidIn(`${h.ovs.dir}/ike/run/charon.pid`)), '-n', '-m', '--', 'ipsec', ...args],
    { encoding: 'utf8' },
  );
/** Until the kernel of a namespace holds the IPsec policy for GRE (strongSwan's trap: packets wait for IKE). */
function keyed(ns: string): boolean {
  for (let i = 0; i < 60; i++) {
    if (
      /proto gre[\s\S]*proto esp/.test(
        spawnSync('ip', ['-n', ns, 'xfrm', 'policy', 'list', 'dir', 'out'], { encoding: 'utf8' }).stdout,
      )
    )
      return true;
    sleep(0.5);
  }
  return false;
}

it('two hosts apply IPsec GRE: pings cross, the underlay sees ESP and no GRE, the key is never printed; a rotated key is drift, a failed apply puts the old one back, the new one carries ESP; removal works', async () => {
  // The underlay: one wire (a bridge in its own namespace) that counts what crosses it.
  const wire = newNetns('ipsecwire');
  ip('-n', wire, 'link', 'add', 'name', 'wire0', 'type', 'bridge');
  ip('-n', wire, 'link', 'set', 'dev', 'wire0', 'up');
  const nft = spawnSync('ip', ['netns', 'exec', wire, 'nft', '-f', '-'], {
    encoding: 'utf8',
    input:
      'table bridge underlay {\n  counter esp_packets { }\n  counter gre_packets { }\n  chain forward {\n    type filter hook forward priority 0; policy accept;\n    ip protocol esp counter name esp_packets\n    ip protocol gre counter name gre_packets\n  }\n}\n',
  });
  expect(nft.status, nft.stderr).toBe(0);
  for (const n of [1, 2]) {
    const ns = newNetns(`ipsec${n}`);
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `to${n}`, 'netns', wire);
    ip('-n', wire, 'link', 'set', 'dev', `to${n}`, 'master', 'wire0', 'up');
    ip('-n', ns, 'link', 'set', 'lo', 'up');
    // No IPv6 chatter: only the test's ping may start IKE. When both ends initiate at once,
    // strongSwan (OVS's template, left=%any) makes two CHILD_SAs whose policies keep one reqid,
    // and the packets of the other are dropped after decryption.
    expect(
      spawnSync('ip', [
        'netns',
        'exec',
        ns,
        'sysctl',
        '-qw',
        'net.ipv6.conf.all.disable_ipv6=1',
        'net.ipv6.conf.default.disable_ipv6=1',
      ]).status,
    ).toBe(0);
    const ovs = startOvs(ns);
    mkdirSync(`${ovs.dir}/ike/run`, { recursive: true });
    writeFileSync(`${ovs.dir}/ike/ipsec.conf`, '');
    writeFileSync(`${ovs.dir}/ike/ipsec.secrets`, '', { mode: 0o600 });
    hosts.push({ ns, ovs });
  }
  const [h1, h2] = hosts;
  // Both monitors at once: each restarts its charon before it detaches (~15 s under emulation).
  await Promise.all(
    hosts.map((h) =>
      promisify(execFile)('ip', ['netns', 'exec', h.ns, 'sh', '-c', MONITOR, 'sh', h.ovs.dir], {
        env: { ...process.env, OVS_RUNDIR: h.ovs.dir, OVS_LOGDIR: h.ovs.dir },
      }),
    ),
  );
  for (const h of hosts)
    expect(
      spawnSync('ovs-appctl', [
        '-t',
        `${h.ovs.dir}/ovs-monitor-ipsec.${pidIn(`${h.ovs.dir}/ovs-monitor-ipsec.pid`)}.ctl`,
        'version',
      ]).status,
    ).toBe(0);
  say('two monitors with their charons are up');

  // Unhappy: the example's key file does not exist yet. Refused at the tunnel's line, nothing changed.
  rmSync(KEY_FILE, { force: true });
  const before = h1.ovs.vsctl('show');
  const missing = nethost('apply', EXAMPLE, '--netns', h1.ns, '--ovsdb', h1.ovs.db, '--yes');
  expect(missing.code).toBe(1);
  expect(missing.stderr).toContain(`nethost: ${EXAMPLE} cannot be applied here`);
  const line = readFileSync(EXAMPLE, 'utf8').split('\n').indexOf('  ipsec0:') + 1;
  expect(missing.stderr).toMatch(
    new RegExp(
      `${EXAMPLE}:${line}:3: error: IPsec key of ipsec0: cannot read ${KEY_FILE} \\(no such file\\)\\n    hint: .*nothing was changed`,
    ),
  );
  expect(h1.ovs.vsctl('show')).toBe(before);
  expect(ipJson<any[]>(h1.ns, 'addr', 'show', 'eth0')[0].addr_info ?? []).toEqual([]);

  // Host 1: the example as it is, its key in the file it names (only ever in the guest's overlay).
  expect(process.env.VM_RUN, 'writes /etc/nethost only inside the vm-run guest').toBe('1');
  mkdirSync('/etc/nethost', { recursive: true });
  writeFileSync(KEY_FILE, `${KEY}\n`, { mode: 0o600 });
  const outputs: string[] = [];
  const first = await planFile(EXAMPLE, h1.ns, { ovsdb: h1.ovs.db });
  const script = renderScript(first.plan, { ovsdb: h1.ovs.db }); // what plan --script prints
  expect(script).toContain(`"options:psk=\\"$(cat ${KEY_FILE})\\""`);
  outputs.push(script);

  // Host 2: the mirror image, the key from a variable. Both hosts apply at once.
  const mirror = readFileSync(EXAMPLE, 'utf8')
    .replace(/198\.51\.100\.10([12])/g, (_m, d) => `198.51.100.10${d === '1' ? 2 : 1}`)
    .replace('192.0.2.2/24', '192.0.2.3/24')
    .replace(`ipsec: {psk_file: ${KEY_FILE}}`, `ipsec: {psk_env: ${ENV}}`);
  expect(mirror).toMatch(
    /eth0: \{kind: ethernet, addresses: \[198\.51\.100\.102\/24\]\}[\s\S]*local_ip: 198\.51\.100\.102\n\s+remote_ip: 198\.51\.100\.101\n\s+ipsec: \{psk_env: NETHOST_LAB_PSK\}/,
  );
  const file2 = tempFile('ipsec-2.yaml', mirror);
  const [a1, a2] = await Promise.all([
    nh({}, 'apply', EXAMPLE, '--netns', h1.ns, '--ovsdb', h1.ovs.db, '--yes'),
    nh({ [ENV]: KEY }, 'apply', file2, '--netns', h2.ns, '--ovsdb', h2.ovs.db, '--yes', '--json'),
  ]);
  expect(a1.code, a1.stderr + a1.stdout).toBe(0);
  expect(a2.code, a2.stderr + a2.stdout).toBe(0);
  expect(
    JSON.parse(a2.stdout)
      .plan.operations.map((o: any) => o.command)
      .join('\n'),
  ).toContain(`options:psk=<from $${ENV}>`);
  outputs.push(a1.stdout, a1.stderr, a2.stdout, a2.stderr);
  for (const [h, ref] of [
    [h1, `file:${KEY_FILE}`],
    [h2, `env:${ENV}`],
  ] as const) {
    const row = h.ovs.rows('Interface', 'ipsec0')[0];
    expect(row.options).toMatchObject({ psk: KEY, remote_ip: expect.stringMatching(/^198\.51\.100\.10[12]$/) });
    expect(row.external_ids['nethost-psk']).toBe(ref);
    expect(row.ofport).toBeGreaterThan(0);
  }
  say('both files applied');

  // Traffic, once both kernels hold the policy: host 1's first packets wait for IKE, none leaves in
  // clear. (Without the wait, a packet before host 2 is keyed makes host 1's IKE fail, and the kernel
  // then holds the tunnel's packets for xfrm_acq_expires, 165 s, without asking again.)
  expect(keyed(h1.ns), 'host 1 keyed').toBe(true);
  expect(keyed(h2.ns), 'host 2 keyed').toBe(true);
  say(
    `keyed; ${counter(wire, 'gre_packets')} plain GRE packets crossed before (OVS's race), ${counter(wire, 'esp_packets')} ESP`,
  );
  expect(
    spawnSync('ip', ['netns', 'exec', wire, 'nft', 'reset', 'counters', 'table', 'bridge', 'underlay']).status,
  ).toBe(0);
  let up = false;
  for (let i = 0; i < 10 && !up; i++) up = ping(h1.ns, '192.0.2.3') || (sleep(1), false);
  if (!up)
    for (const h of hosts)
      say(
        `${h.ns}:\n${ike(h, 'statusall').stdout}\n${readFileSync(`${h.ovs.dir}/ovs-monitor-ipsec.log`, 'utf8').slice(-3000)}`,
      );
  expect(up, 'a ping across the tunnel').toBe(true);
  expect(ping(h1.ns, '192.0.2.3', 3)).toBe(true);
  expect(ping(h2.ns, '192.0.2.2', 3)).toBe(true);
  const esp = counter(wire, 'esp_packets');
  expect(esp, 'ESP packets on the underlay').toBeGreaterThanOrEqual(12);
  expect(counter(wire, 'gre_packets'), 'plain GRE packets on the underlay').toBe(0);
  say(`${esp} ESP packets, no GRE, on the underlay`);

  // A second plan is empty on both hosts (in-process: no node start-up under emulation).
  process.env[ENV] = KEY;
  try {
    for (const [file, h] of [
      [EXAMPLE, h1],
      [file2, h2],
    ] as const)
      expect((await planFile(file, h.ns, { ovsdb: h.ovs.db })).plan.changes.map((c) => `${c.action} ${c.id}`)).toEqual(
        [],
      );
  } finally {
    delete process.env[ENV];
  }

  // Rotating the key: host 1's file gets a new one. drift-check and plan show it, never the key.
  writeFileSync(KEY_FILE, `${KEY2}\n`, { mode: 0o600 });
  const drift = nethost('drift-check', EXAMPLE, '--netns', h1.ns, '--ovsdb', h1.ovs.db);
  expect(drift.code, drift.stderr).toBe(2);
  expect(drift.stdout).toContain('ipsec0');
  expect(drift.stdout).toContain(`file:${KEY_FILE} (another key)`);
  outputs.push(drift.stdout, drift.stderr);
  // An apply whose transaction sets the new key and then fails (a twin tunnel ovs-vswitchd cannot
  // build): the rollback puts the old key back, as the process that read it held it.
  const twin =
    readFileSync(EXAMPLE, 'utf8').replace('ports: [ipsec0]', 'ports: [ipsec0, vx0, vx1]') +
    '  vx0: {kind: ovs-tunnel, type: vxlan, remote_ip: 198.51.100.102, key: 5000}\n  vx1: {kind: ovs-tunnel, type: vxlan, remote_ip: 198.51.100.102, key: 5000}\n';
  expect(twin).toContain('ports: [ipsec0, vx0, vx1]');
  const failed = nethost('apply', tempFile('twin.yaml', twin), '--netns', h1.ns, '--ovsdb', h1.ovs.db, '--yes');
  expect(failed.code, failed.stderr).toBe(1);
  expect(failed.stderr).toMatch(/ovs-vswitchd could not build interface vx[01]/); // whichever it took second
  expect(failed.stderr).toContain('previous state restored and verified');
  expect(h1.ovs.rows('Interface', 'ipsec0')[0].options.psk).toBe(KEY);
  expect(
    h1.ovs
      .rows('Interface')
      .map((r) => r.name)
      .sort(),
  ).toEqual(['ipsec0', 'testbr']);
  outputs.push(failed.stdout, failed.stderr);
  // Both hosts rotated (host 2 by its variable): OVSDB holds the new key, pings cross, plans are empty.
  const [k1, k2] = await Promise.all([
    nh({}, 'apply', EXAMPLE, '--netns', h1.ns, '--ovsdb', h1.ovs.db, '--yes'),
    nh({ [ENV]: KEY2 }, 'apply', file2, '--netns', h2.ns, '--ovsdb', h2.ovs.db, '--yes'),
  ]);
  expect(k1.code, k1.stderr + k1.stdout).toBe(0);
  expect(k2.code, k2.stderr + k2.stdout).toBe(0);
  expect(k1.stdout).toContain('(another key)');
  outputs.push(k1.stdout, k1.stderr, k2.stdout, k2.stderr);
  for (const h of hosts) expect(h.ovs.rows('Interface', 'ipsec0')[0].options.psk).toBe(KEY2);
  // ovs-monitor-ipsec hands the new key to strongSwan (its secrets file, read here, never printed).
  for (const h of hosts) {
    let handed = false;
    for (let i = 0; i < 60 && !handed; i++)
      handed = readFileSync(`${h.ovs.dir}/ike/ipsec.secrets`, 'utf8').includes(KEY2) || (sleep(0.5), false);
    expect(handed, `${h.ns}: strongSwan has the new key`).toBe(true);
  }
  for (const h of hosts) expect(keyed(h.ns), `${h.ns} keyed again`).toBe(true);
  expect(
    spawnSync('ip', ['netns', 'exec', wire, 'nft', 'reset', 'counters', 'table', 'bridge', 'underlay']).status,
  ).toBe(0);
  let again = false;
  for (let i = 0; i < 20 && !again; i++) again = ping(h1.ns, '192.0.2.3') || (sleep(1), false);
  expect(again, 'a ping across the tunnel after the rotation').toBe(true);
  expect(counter(wire, 'esp_packets'), 'ESP after the rotation').toBeGreaterThan(0);
  expect(counter(wire, 'gre_packets'), 'no plain GRE after the rotation').toBe(0);
  process.env[ENV] = KEY2;
  try {
    for (const [file, h] of [
      [EXAMPLE, h1],
      [file2, h2],
    ] as const)
      expect((await planFile(file, h.ns, { ovsdb: h.ovs.db })).plan.changes.map((c) => `${c.action} ${c.id}`)).toEqual(
        [],
      );
  } finally {
    delete process.env[ENV];
  }
  say('the key rotated on both hosts; a failed apply put the old one back');

  // Unhappy: host 1's monitor stops. Its IPsec file is refused, nothing changes.
  stopIke(h1);
  const showing = h1.ovs.vsctl('show');
  const stopped = nethost('apply', EXAMPLE, '--netns', h1.ns, '--ovsdb', h1.ovs.db, '--yes');
  expect(stopped.code).toBe(1);
  expect(stopped.stderr).toContain('IPsec tunnel ipsec0: ovs-monitor-ipsec does not answer');
  expect(h1.ovs.vsctl('show')).toBe(showing);
  outputs.push(stopped.stdout, stopped.stderr);

  // Removing the tunnel from the file removes its port (no IPsec in the file: no monitor needed).
  const bare = readFileSync(EXAMPLE, 'utf8')
    .replace('ports: [ipsec0]', 'ports: []')
    .replace(/  ipsec0:\n(    .*\n)+/, '');
  expect(bare).not.toContain('ipsec0:');
  const without = tempFile('no-tunnel.yaml', bare);
  const removed = await applyFile(without, h1.ns, { options: { ovsdb: h1.ovs.db } });
  expect(removed.applied).toBe(true);
  expect(removed.plan.changes.map((c) => `${c.action} ${c.id}`)).toEqual(
    expect.arrayContaining(['delete ovs-port:ipsec0']),
  );
  expect(h1.ovs.rows('Interface').map((r) => r.name)).toEqual(['testbr']);
  expect((await planFile(without, h1.ns, { ovsdb: h1.ovs.db })).plan.changes).toEqual([]);
  say('the tunnel is removed');

  for (const o of outputs) for (const k of [KEY, KEY2]) expect(o).not.toContain(k);
}, 600_000);
