// Self-test of the kernel lab: inside the QEMU guest (test/lab/run.sh) the kernel must support
// every link kind the core manages, in fresh uniquely named network namespaces that are always
// deleted again. Run: bash test/lab/run.sh test/lab/kernel.lab.test.ts
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requireLab } from './guard.js';

requireLab();

interface IpLink {
  ifindex: number;
  ifname: string;
  link?: string | null;
  master?: string;
  flags: string[];
  operstate: string;
  link_type: string;
  address?: string;
  linkinfo?: {
    info_kind?: string;
    info_data?: Record<string, unknown>;
    info_slave_kind?: string;
    info_slave_data?: Record<string, unknown>;
  };
  stats64?: { rx: { packets: number }; tx: { packets: number } };
}

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { status?: number; stderr?: string; stdout?: string };
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${err.status}): ${String(err.stderr ?? '').trim()}`);
  }
}
/** `ip ARGS` in namespace ns ('' = the guest's root namespace). */
const ip = (ns: string, ...args: string[]): string => run('ip', ns ? ['-n', ns, ...args] : args);
/** `ip -j -d link show [DEV]` parsed. */
function links(ns: string, dev?: string): IpLink[] {
  return JSON.parse(ip(ns, '-j', '-d', '-s', 'link', 'show', ...(dev ? [dev] : []))) as IpLink[];
}
function link(ns: string, dev: string): IpLink {
  const l = links(ns, dev);
  expect(l).toHaveLength(1);
  return l[0]!;
}
/** ping -c 1 -W 2 from namespace ns; true when answered. */
function ping(ns: string, addr: string): boolean {
  try {
    execFileSync('ip', ['netns', 'exec', ns, 'ping', '-n', '-c', '1', '-W', '2', addr], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

const tag = `${process.pid}-${randomBytes(3).toString('hex')}`;
const created: string[] = [];
function newNetns(role: string): string {
  const ns = `nhlab-${role}-${tag}`;
  ip('', 'netns', 'add', ns);
  created.push(ns);
  ip(ns, 'link', 'set', 'lo', 'up');
  return ns;
}
afterAll(() => {
  const left: string[] = [];
  for (const ns of created.splice(0)) {
    try {
      ip('', 'netns', 'del', ns);
    } catch {
      left.push(ns);
    }
  }
  expect(left, 'namespaces that could not be deleted').toEqual([]);
});

describe('link kinds in a fresh namespace', () => {
  let ns = '';
  beforeAll(() => {
    ns = newNetns('kinds');
  });

  test('bond in active-backup mode with two veth ports', () => {
    ip(ns, 'link', 'add', 'pa0', 'type', 'veth', 'peer', 'name', 'pb0');
    ip(ns, 'link', 'add', 'pa1', 'type', 'veth', 'peer', 'name', 'pb1');
    ip(ns, 'link', 'add', 'bond0', 'type', 'bond', 'mode', 'active-backup', 'miimon', '100');
    ip(ns, 'link', 'set', 'pa0', 'master', 'bond0');
    ip(ns, 'link', 'set', 'pa1', 'master', 'bond0');
    ip(ns, 'link', 'set', 'bond0', 'up');
    const bond = link(ns, 'bond0');
    expect(bond.linkinfo?.info_kind).toBe('bond');
    expect(bond.linkinfo?.info_data).toMatchObject({ mode: 'active-backup', miimon: 100 });
    for (const p of ['pa0', 'pa1']) {
      const port = link(ns, p);
      expect(port.master).toBe('bond0');
      expect(port.flags).toContain('SLAVE');
      expect(port.linkinfo?.info_kind).toBe('veth');
      expect(port.linkinfo?.info_slave_kind).toBe('bond');
      expect(port.linkinfo?.info_slave_data).toHaveProperty('state');
    }
  });

  test('802.1Q vlan on the bond', () => {
    ip(ns, 'link', 'add', 'link', 'bond0', 'name', 'bond0.100', 'type', 'vlan', 'id', '100');
    const vlan = link(ns, 'bond0.100');
    expect(vlan.link).toBe('bond0');
    expect(vlan.linkinfo?.info_kind).toBe('vlan');
    expect(vlan.linkinfo?.info_data).toMatchObject({ protocol: '802.1Q', id: 100 });
  });

  test('gre tunnel with a key (iproute2 prints keys as dotted quads)', () => {
    ip(
      ns,
      'link',
      'add',
      'gre1',
      'type',
      'gre',
      'local',
      '198.51.100.1',
      'remote',
      '198.51.100.2',
      'key',
      '1234',
      'ttl',
      '64',
    );
    const gre = link(ns, 'gre1');
    expect(gre.linkinfo?.info_kind).toBe('gre');
    expect(gre.link_type).toBe('gre');
    expect(gre.linkinfo?.info_data).toMatchObject({
      local: '198.51.100.1',
      remote: '198.51.100.2',
      ttl: 64,
      ikey: '0.0.4.210', // 1234
      okey: '0.0.4.210',
    });
  });

  test('gretap with distinct input/output keys', () => {
    ip(
      ns,
      'link',
      'add',
      'gt1',
      'type',
      'gretap',
      'local',
      '198.51.100.1',
      'remote',
      '198.51.100.3',
      'ikey',
      '11',
      'okey',
      '22',
    );
    const gt = link(ns, 'gt1');
    expect(gt.linkinfo?.info_kind).toBe('gretap');
    expect(gt.link_type).toBe('ether');
    expect(gt.linkinfo?.info_data).toMatchObject({
      local: '198.51.100.1',
      remote: '198.51.100.3',
      ikey: '0.0.0.11',
      okey: '0.0.0.22',
    });
  });

  test('dummy (linkinfo has no info_data)', () => {
    ip(ns, 'link', 'add', 'dummy0', 'type', 'dummy');
    ip(ns, 'addr', 'add', '192.0.2.1/24', 'dev', 'dummy0');
    ip(ns, 'link', 'set', 'dummy0', 'up');
    const d = link(ns, 'dummy0');
    expect(d.linkinfo?.info_kind).toBe('dummy');
    expect(d.linkinfo?.info_data).toBeUndefined();
    expect(d.flags).toContain('UP');
  });

  test('ip6gre and ip6gretap with keys', () => {
    ip(ns, 'link', 'add', 'g6', 'type', 'ip6gre', 'local', '2001:db8::1', 'remote', '2001:db8::2', 'key', '4321');
    ip(ns, 'link', 'add', 'gt6', 'type', 'ip6gretap', 'local', '2001:db8::1', 'remote', '2001:db8::3', 'key', '99');
    expect(link(ns, 'g6').linkinfo).toMatchObject({
      info_kind: 'ip6gre',
      info_data: { remote: '2001:db8::2', ikey: '0.0.16.225', okey: '0.0.16.225' },
    });
    expect(link(ns, 'gt6').linkinfo).toMatchObject({
      info_kind: 'ip6gretap',
      info_data: { remote: '2001:db8::3', ikey: '0.0.0.99', okey: '0.0.0.99' },
    });
  });

  test('everything is visible in one `ip -j -d link show` of the namespace', () => {
    const byName = new Map(links(ns).map((l) => [l.ifname, l.linkinfo?.info_kind]));
    expect(Object.fromEntries(byName)).toMatchObject({
      bond0: 'bond',
      'bond0.100': 'vlan',
      gre1: 'gre',
      gt1: 'gretap',
      dummy0: 'dummy',
      pa0: 'veth',
      g6: 'ip6gre',
      gt6: 'ip6gretap',
    });
  });
});

describe('kernel fallback tunnel devices', () => {
  // Loading ip_gre creates gre0/gretap0/erspan0 in EVERY namespace (the guest's root one and
  // each other, net.core.fb_tunnels_only_for_init_net=0); ip6_gre adds ip6gre0 (+ ip6tnl0 from
  // ip6_tunnel). The core must treat these as kernel-owned, never as drift to delete.
  const fallback = { gre0: 'gre', gretap0: 'gretap', erspan0: 'erspan' } as const;

  test('gre0, gretap0, erspan0 in the guest root namespace once ip_gre is loaded', () => {
    run('modprobe', ['ip_gre']);
    for (const [dev, kind] of Object.entries(fallback)) {
      const l = link('', dev);
      expect(l.linkinfo?.info_kind).toBe(kind);
      expect(l.linkinfo?.info_data).toMatchObject({ local: 'any', remote: 'any', ttl: 0 });
      expect(l.link).toBeNull();
      expect(l.flags).not.toContain('UP');
    }
  });

  test('and in a namespace created afterwards', () => {
    const ns = newNetns('fb');
    const names = links(ns).map((l) => l.ifname);
    expect(names).toEqual(expect.arrayContaining(['lo', ...Object.keys(fallback)]));
  });
});

describe('two namespaces over a keyed GRE tunnel', () => {
  let a = '';
  let b = '';
  beforeAll(() => {
    a = newNetns('a');
    b = newNetns('b');
    // underlay: a veth pair across the two namespaces
    ip(a, 'link', 'add', 'ua', 'type', 'veth', 'peer', 'name', 'ub', 'netns', b);
    ip(a, 'addr', 'add', '198.51.100.1/24', 'dev', 'ua');
    ip(b, 'addr', 'add', '198.51.100.2/24', 'dev', 'ub');
    ip(a, 'link', 'set', 'ua', 'up');
    ip(b, 'link', 'set', 'ub', 'up');
    // overlay: gre with key 42 on both ends
    for (const [ns, local, remote, inner] of [
      [a, '198.51.100.1', '198.51.100.2', '192.0.2.1/30'],
      [b, '198.51.100.2', '198.51.100.1', '192.0.2.2/30'],
    ] as const) {
      ip(ns, 'link', 'add', 'gt', 'type', 'gre', 'local', local, 'remote', remote, 'key', '42');
      ip(ns, 'addr', 'add', inner, 'dev', 'gt');
      ip(ns, 'link', 'set', 'gt', 'up');
    }
  });

  test('the underlay pings', () => {
    expect(ping(a, '198.51.100.2')).toBe(true);
  });

  test('192.0.2.1 pings 192.0.2.2 through the tunnel', () => {
    const before = link(b, 'gt').stats64?.rx.packets ?? 0;
    let ok = false;
    for (let i = 0; i < 3 && !ok; i++) ok = ping(a, '192.0.2.2');
    expect(ok).toBe(true);
    expect(ping(b, '192.0.2.1')).toBe(true);
    const gt = link(b, 'gt');
    expect(gt.linkinfo?.info_data).toMatchObject({ ikey: '0.0.0.42', okey: '0.0.0.42' });
    expect(gt.stats64?.rx.packets ?? 0).toBeGreaterThan(before);
  });

  test('a key mismatch breaks the tunnel (the key is really used)', () => {
    ip(b, 'link', 'set', 'gt', 'type', 'gre', 'key', '43');
    expect(link(b, 'gt').linkinfo?.info_data).toMatchObject({ ikey: '0.0.0.43' });
    expect(ping(a, '192.0.2.2')).toBe(false);
    ip(b, 'link', 'set', 'gt', 'type', 'gre', 'key', '42');
    expect(ping(a, '192.0.2.2')).toBe(true);
  });
});
