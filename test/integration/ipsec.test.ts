// IPsec's checks before anything changes, on this machine's kernel (no kernel datapath here, and no
// IKE daemon may run here: test/lab/ipsec.lab.test.ts runs the real tunnel). A private OVS whose
// run directory has no ovs-monitor-ipsec, a stale pid file, or the pid of a process in another
// namespace: each is refused at plan time, and apply changes nothing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { statSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, expect, it } from 'vitest';
import { deleteAllNetns, newNetns, nethost, tempFile } from '../helpers/netns.js';
import { startOvs, stopAllOvs } from '../helpers/ovs.js';

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  stopAllOvs();
});
afterAll(() => deleteAllNetns());

const FILE = tempFile(
  'ipsec.yaml',
  'version: 1\ninterfaces:\n  testbr: {kind: ovs-bridge, ports: [ipsec0]}\n  ipsec0: {kind: ovs-tunnel, type: gre, remote_ip: 198.51.100.102, ipsec: {psk_env: NETHOST_IT_PSK}}\n',
);

function refused(pidFile: string | null, expected: RegExp) {
  const ns = newNetns('ipsec');
  const ovs = startOvs(ns);
  if (pidFile !== null) writeFileSync(`${ovs.dir}/ovs-monitor-ipsec.pid`, pidFile);
  const before = ovs.vsctl('show');
  const plan = nethost('plan', FILE, '--netns', ns, '--ovsdb', ovs.db);
  expect(plan.code, plan.stdout).toBe(1);
  expect(plan.stderr).toMatch(expected);
  const apply = nethost('apply', FILE, '--netns', ns, '--ovsdb', ovs.db, '--yes');
  expect(apply.code).toBe(1);
  expect(apply.stderr).toMatch(expected);
  expect(ovs.vsctl('show')).toBe(before);
}

it('no ovs-monitor-ipsec in the run directory: refused, nothing changed', () => {
  refused(null, /IPsec tunnel ipsec0: ovs-monitor-ipsec does not answer \(no \/.*\/ovs-monitor-ipsec\.pid/);
});

it('a stale pid file: refused as not answering', () => {
  const gone = spawnSync('true').pid!;
  refused(`${gone}\n`, /IPsec tunnel ipsec0: ovs-monitor-ipsec does not answer/);
});

it('a monitor in another namespace (it would key that one): refused, naming its pid', () => {
  const other = newNetns('ipsec-other');
  const c = spawn('ip', ['netns', 'exec', other, 'sleep', '120'], { stdio: 'ignore' });
  children.push(c);
  // ip netns exec enters the namespace, then execs sleep under the same pid.
  const netOf = (p: string) => statSync(p).ino;
  for (let i = 0; i < 100 && netOf(`/proc/${c.pid}/ns/net`) !== netOf(`/run/netns/${other}`); i++)
    spawnSync('sleep', ['0.05']);
  expect(netOf(`/proc/${c.pid}/ns/net`)).toBe(netOf(`/run/netns/${other}`));
  refused(
    `${c.pid}\n`,
    new RegExp(
      `the ovs-monitor-ipsec of unix:.* \\(pid ${c.pid}\\) runs in another network namespace than namespace nht-ipsec-.*, so its IKE daemon keys that namespace`,
    ),
  );
});
