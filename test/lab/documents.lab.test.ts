// The documents' GRE networks and a bond, in the kernel lab guest (Debian's 6.1 kernel): built by
// nethost in some namespaces and by hand with the documents' own commands in another, compared field
// by field (test/helpers/compare.ts); second plans empty; against the hand-built one, only adoption;
// traffic between three namespaces over the multicast GRE, the NBMA GRE with permanent neighbours and
// a point-to-point GRE with a peer address. And the kernel's evidence for refusing neighbours on a
// GRE with a remote: it keeps a single one, as 0.0.0.0, and the tunnel takes no unicast.
// Run: flock /tmp/nethost-lab.lock bash test/lab/run.sh test/lab/documents.lab.test.ts
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireLab } from './guard.js';
import { deleteAllNetns, ip, ipJson, links, newNetns, tempFile } from '../helpers/netns.js';
import { expectSameNetwork } from '../helpers/compare.js';
import { applyFile, planFile } from '../../src/engine/index.js';
import { loadDesiredState } from '../../src/config/load.js';
import { EMPTY_FACTS } from '../../src/kinds/types.js';

requireLab();
beforeAll(() => {
  spawnSync('modprobe', ['ip_gre']);
  spawnSync('modprobe', ['bonding']);
});
afterAll(() => deleteAllNetns());

const ping = (ns: string, to: string) =>
  spawnSync('ip', ['netns', 'exec', ns, 'ping', '-n', '-c', '2', '-i', '0.5', '-W', '3', to], { encoding: 'utf8' });
const run = (ns: string, cmds: string[][]) => cmds.forEach((c) => ip('-n', ns, ...c));

async function converge(file: string, ns: string) {
  await applyFile(file, ns);
  const { plan } = await planFile(file, ns);
  expect(
    plan.changes.map((c) => `${c.action} ${c.id}`),
    `second plan for ${ns}`,
  ).toEqual([]);
}
/** The plan against a hand-built namespace: it only adopts (marks, and nothing else). */
async function onlyAdopts(file: string, ns: string) {
  const { plan } = await planFile(file, ns);
  expect(plan.changes.length).toBeGreaterThan(0);
  for (const c of plan.changes) {
    expect(c.action, c.id).toBe('adopt');
    expect(
      c.attrs.map((a) => a.name).filter((n) => n !== 'mark'),
      c.id,
    ).toEqual([]);
  }
}

const EXAMPLE = readFileSync('examples/gre-multicast.yaml', 'utf8');
/** examples/gre-multicast.yaml for node n (1–3): its own addresses, the others' as peers; p2p0 only on 1 and 2. */
function nodeFile(n: number): string {
  if (n === 1) return tempFile('n1.yaml', EXAMPLE);
  const others = [1, 2, 3].filter((x) => x !== n);
  const lines = EXAMPLE.split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) =>
      l
        .replace('198.51.100.1/24', `198.51.100.${n}/24`)
        .replace(/local: 198\.51\.100\.1\b/, `local: 198.51.100.${n}`)
        .replace('192.0.2.1/25', `192.0.2.${n}/25`)
        .replace('203.0.113.1/24', `203.0.113.${n}/24`),
    );
  let text = lines
    .join('\n')
    .replace('to: 203.0.113.2, lladdr: 198.51.100.2', `to: 203.0.113.${others[0]}, lladdr: 198.51.100.${others[0]}`)
    .replace('to: 203.0.113.3, lladdr: 198.51.100.3', `to: 203.0.113.${others[1]}, lladdr: 198.51.100.${others[1]}`);
  text =
    n === 2
      ? text
          .replace('remote: 198.51.100.2', 'remote: 198.51.100.1')
          .replace('"192.0.2.129 peer 192.0.2.130"', '"192.0.2.130 peer 192.0.2.129"')
      : text.replace(/\n  p2p0: .*/, '');
  return tempFile(`n${n}.yaml`, text);
}

describe('a multicast GRE comes up only once its local address exists', () => {
  it('by hand the kernel refuses it before (Cannot assign requested address); nethost orders it after the address, wherever declared', async () => {
    const hand = newNetns('up');
    run(hand, [
      ['link', 'add', 'eth0', 'type', 'dummy'],
      ['link', 'set', 'eth0', 'up'],
      [
        'link',
        'add',
        'mgre0',
        'type',
        'gre',
        'key',
        '42',
        'dev',
        'eth0',
        'local',
        '198.51.100.1',
        'remote',
        '239.66.66.66',
        'ttl',
        '64',
      ],
    ]);
    const r = spawnSync('ip', ['-n', hand, 'link', 'set', 'mgre0', 'up'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Cannot assign requested address/);
    // The file declares the tunnel before the link that holds its local address.
    const ns = newNetns('upn');
    ip('-n', ns, 'link', 'add', 'eth0', 'type', 'dummy');
    const file = tempFile(
      'm.yaml',
      'version: 1\ninterfaces:\n  mgre0: {kind: gre, key: 42, dev: eth0, local: 198.51.100.1, remote: 239.66.66.66, ttl: 64, addresses: [192.0.2.1/25]}\n  eth0: {kind: ethernet, addresses: [198.51.100.1/24]}\n',
    );
    await converge(file, ns);
    expect(links(ns).get('mgre0').flags).toContain('UP');
  });
});

describe('GRE: multicast, NBMA and point-to-point, as the document builds them', () => {
  const nodes: string[] = [];
  let sw = '';
  beforeAll(() => {
    sw = newNetns('sw');
    run(sw, [
      ['link', 'add', 'swbr', 'type', 'bridge'],
      ['link', 'set', 'swbr', 'up'],
    ]);
    for (const n of [1, 2, 3]) {
      const ns = newNetns(`g${n}`);
      ip('-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', `sw${n}`, 'netns', sw);
      ip('-n', sw, 'link', 'set', `sw${n}`, 'master', 'swbr', 'up');
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      nodes.push(ns);
    }
  });

  it('nethost builds each node from nothing (the tunnel after its underlay address) and the second plan is empty', async () => {
    for (const n of [1, 2, 3]) await converge(nodeFile(n), nodes[n - 1]);
    const g = links(nodes[0]).get('mgre0');
    expect(g.flags).toEqual(expect.arrayContaining(['POINTOPOINT', 'UP']));
    expect(g.linkinfo.info_data).toMatchObject({
      remote: '239.66.66.66',
      local: '198.51.100.1',
      link: 'eth0',
      ikey: '0.0.0.42',
    });
  });

  it('pings between the three namespaces over the multicast GRE and the NBMA GRE, and over the point-to-point one', () => {
    for (const [from, to] of [
      [1, 2],
      [1, 3],
      [2, 3],
      [3, 1],
    ]) {
      const m = ping(nodes[from - 1], `192.0.2.${to}`);
      expect(m.status, `multicast ${from}→${to}: ${m.stdout}`).toBe(0);
      const b = ping(nodes[from - 1], `203.0.113.${to}`);
      expect(b.status, `NBMA ${from}→${to}: ${b.stdout}`).toBe(0);
    }
    const p = ping(nodes[0], '192.0.2.130');
    expect(p.status, p.stdout).toBe(0);
  });

  it("by hand with the document's commands the same as by nethost; the plan against it only adopts", async () => {
    const hand = newNetns('gh');
    const far = newNetns('ghp');
    ip('-n', hand, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'x', 'netns', far);
    run(far, [['link', 'set', 'x', 'up']]);
    run(hand, [
      ['link', 'set', 'lo', 'up'],
      ['addr', 'add', '198.51.100.1/24', 'dev', 'eth0'],
      ['link', 'set', 'eth0', 'up'],
      [
        'tunnel',
        'add',
        'mgre0',
        'mode',
        'gre',
        'key',
        '42',
        'dev',
        'eth0',
        'local',
        '198.51.100.1',
        'remote',
        '239.66.66.66',
        'ttl',
        '64',
      ],
      ['addr', 'add', '192.0.2.1/25', 'dev', 'mgre0'],
      ['link', 'set', 'mgre0', 'up'],
      ['tunnel', 'add', 'nbma0', 'mode', 'gre', 'key', '43', 'local', '198.51.100.1', 'ttl', '64'],
      ['addr', 'add', '203.0.113.1/24', 'dev', 'nbma0'],
      ['link', 'set', 'nbma0', 'up'],
      ['neigh', 'replace', '203.0.113.2', 'lladdr', '198.51.100.2', 'nud', 'permanent', 'dev', 'nbma0'],
      ['neigh', 'replace', '203.0.113.3', 'lladdr', '198.51.100.3', 'nud', 'permanent', 'dev', 'nbma0'],
      [
        'tunnel',
        'add',
        'p2p0',
        'mode',
        'gre',
        'key',
        '1001',
        'local',
        '198.51.100.1',
        'remote',
        '198.51.100.2',
        'ttl',
        '64',
      ],
      ['addr', 'add', '192.0.2.129', 'peer', '192.0.2.130', 'dev', 'p2p0'],
      ['link', 'set', 'p2p0', 'up'],
    ]);
    expectSameNetwork(hand, nodes[0]);
    await onlyAdopts(nodeFile(1), hand);
  });

  it('the kernel keeps one IPv4 neighbour on the multicast GRE, as 0.0.0.0, and the tunnel takes no unicast: nethost refuses neighbours there', async () => {
    const n1 = nodes[0];
    // The document's neighbours, by hand, on the multicast tunnel.
    run(n1, [
      ['neigh', 'replace', '192.0.2.2', 'lladdr', '198.51.100.2', 'nud', 'permanent', 'dev', 'mgre0'],
      ['neigh', 'replace', '192.0.2.3', 'lladdr', '198.51.100.3', 'nud', 'permanent', 'dev', 'mgre0'],
    ]);
    const permanent = ipJson<any[]>(n1, 'neigh', 'show', 'dev', 'mgre0', 'nud', 'permanent');
    expect(permanent).toEqual([
      expect.objectContaining({ dst: '0.0.0.0', lladdr: '198.51.100.3', state: ['PERMANENT'] }),
    ]);
    // Unicast to node 2 now goes to node 3's underlay address; node 2's multicast tunnel would not take it anyway.
    expect(ping(n1, '192.0.2.2').status).toBe(1);
    // What someone else put there is read as the kernel stores it, and left alone.
    const { plan } = await planFile(nodeFile(1), n1);
    expect(plan.changes.map((c) => c.id)).toEqual([]);
    ip('-n', n1, 'neigh', 'del', '0.0.0.0', 'dev', 'mgre0');
    expect(ping(n1, '192.0.2.2').status).toBe(0);
    // The document's file, neighbours on mgre0 included, is refused where they are written.
    const recipe = EXAMPLE.replace(
      '  - {dev: nbma0, to: 203.0.113.3, lladdr: 198.51.100.3}',
      '  - {dev: mgre0, to: 192.0.2.2, lladdr: 198.51.100.2}',
    );
    const r = loadDesiredState(recipe, 'recipe.yaml', EMPTY_FACTS);
    expect(r.desired).toBeUndefined();
    expect(r.diagnostics.map((d) => d.message)).toEqual([
      expect.stringMatching(/mgre0 has a remote .*point-to-point.*0\.0\.0\.0/),
    ]);
  });
});

describe("bond ports in the file's order", () => {
  it('ports: [eth1, eth0] enslaves eth1 first, so it is the active one; the same as by hand', async () => {
    const mk = (tag: string) => {
      const ns = newNetns(tag);
      const far = newNetns(`${tag}p`);
      for (const n of ['eth0', 'eth1'])
        ip('-n', ns, 'link', 'add', n, 'type', 'veth', 'peer', 'name', `x${n}`, 'netns', far);
      run(far, [
        ['link', 'set', 'xeth0', 'up'],
        ['link', 'set', 'xeth1', 'up'],
      ]);
      return ns;
    };
    const file = tempFile(
      'bond.yaml',
      'version: 1\ninterfaces:\n  eth0: {kind: ethernet}\n  eth1: {kind: ethernet}\n  bond0: {kind: bond, mode: active-backup, miimon: 100, ports: [eth1, eth0]}\n',
    );
    const nh = mk('bn');
    await converge(file, nh);
    const hand = mk('bh');
    run(hand, [
      ['link', 'add', 'bond0', 'type', 'bond', 'mode', 'active-backup', 'miimon', '100'],
      ['link', 'set', 'eth1', 'down'],
      ['link', 'set', 'eth1', 'master', 'bond0'],
      ['link', 'set', 'eth0', 'down'],
      ['link', 'set', 'eth0', 'master', 'bond0'],
      ['link', 'set', 'eth1', 'up'],
      ['link', 'set', 'eth0', 'up'],
      ['link', 'set', 'bond0', 'up'],
    ]);
    // miimon (every 100 ms) picks the active port once it sees the ports' carrier: wait for it to have
    for (let i = 0; i < 50 && [nh, hand].some((ns) => !links(ns).get('bond0').linkinfo.info_data.active_slave); i++)
      spawnSync('sleep', ['0.2']);
    expect(links(nh).get('bond0').linkinfo.info_data.active_slave).toBe('eth1');
    expectSameNetwork(hand, nh);
    await onlyAdopts(file, hand);
  });
});
