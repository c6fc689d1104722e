// Open vSwitch on captured output: `ovs-vsctl --format=json list …` and `ip -j -d address show` of a
// namespace where a private OVS (userspace datapath) ran test/fixtures/ovs/netdev/nethost.yaml.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RawLive } from '../../src/backends/types.js';
import { normaliseLive } from '../../src/live/normalise.js';
import { parseOvsLists } from '../../src/backends/ovs/rows.js';
import { builtBy, markOtherKeys, ovsBackend } from '../../src/backends/ovs/backend.js';
import { heldKey, resolvePsk } from '../../src/backends/ovs/psk.js';
import { restoreReport, restoreScope } from '../../src/plan/restore.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { renderScript } from '../../src/render/script.js';
import { planJson } from '../../src/render/json.js';
import { renderDrift } from '../../src/render/human.js';
import { desired, facts, load, plan } from './fixtures.js';

const DIR = join(import.meta.dirname, '..', 'fixtures', 'ovs', 'netdev');
const yaml = readFileSync(join(DIR, 'nethost.yaml'), 'utf8');

const j = (f: string) => JSON.parse(readFileSync(join(DIR, f), 'utf8'));
function raw(edit?: (s: string) => string): RawLive {
  const text = readFileSync(join(DIR, 'vsctl-list.json'), 'utf8');
  return {
    links: j('address.json'),
    neighbors: j('neigh.json'),
    routes4: j('route4.json'),
    routes6: j('route6.json'),
    rules4: j('rule4.json'),
    rules6: j('rule6.json'),
    sysctls: {},
    ovs: parseOvsLists(edit ? edit(text) : text, 'unix:/test/db.sock'),
  };
}
const live = (r = raw()) => normaliseLive(r, facts(), 'ns-ovs');

describe('reading OVSDB', () => {
  it('decodes rows: one-element sets as bare atoms, maps, uuids', () => {
    const ovs = raw().ovs!;
    const tap0 = ovs.ports.find((p) => p.name === 'tap0')!;
    expect(tap0.tag).toBe(10);
    expect(tap0.trunks).toEqual([]);
    expect(tap0.external_ids).toEqual({ nethost: '1', 'iface-id': 'abc' });
    expect(tap0.interfaces).toHaveLength(1);
    const gre = ovs.interfaces.find((i) => i.name === 'gre0')!;
    expect(gre).toMatchObject({
      type: 'gre',
      options: { key: '42', local_ip: '198.51.100.1', remote_ip: '198.51.100.2' },
      error: null,
    });
    expect(ovs.bridges[0]).toMatchObject({
      name: 'ovsbr0',
      datapath_type: 'netdev',
      fail_mode: null,
      stp_enable: false,
    });
    expect(ovs.bridges[0].datapath_id).toMatch(/^[0-9a-f]{16}$/);
  });

  it('the kernel devices OVS made are never taps, ethernets or kernel-mastered ports', () => {
    const l = live();
    // On the userspace datapath ovsbr0, mgmt0 and ovs-netdev are persistent taps in `ip -j -d`.
    expect(l.resources.get('link:ovsbr0')?.kind).toBe('ovs-bridge');
    expect(l.resources.get('link:mgmt0')?.kind).toBe('ovs-internal');
    expect(l.resources.has('link:ovs-netdev')).toBe(false);
    expect(l.resources.get('link:tap0')?.kind).toBe('tap');
    expect(l.linkNames.has('ovs-netdev')).toBe(true);
    // The internal port's address is read like any link's.
    expect(l.resources.has('address:mgmt0:192.0.2.1/24')).toBe(true);
  });

  it('defaults are canonical: datapath "" is system, fail_mode [] is standalone, trunks [] is all', () => {
    const l = live(raw((s) => s.replace('"netdev"', '""')));
    expect(l.resources.get('link:ovsbr0')!.attrs).toMatchObject({
      datapath: 'system',
      fail_mode: 'standalone',
      stp_priority: 32768,
      stp: false,
    });
    expect(l.resources.get('ovs-port:tap1')!.attrs).toMatchObject({ tag: 20, trunks: [], type: '', bridge: 'ovsbr0' });
    expect(l.resources.get('ovs-tunnel:vx0')!.attrs).toMatchObject({
      remote_ip: '198.51.100.3',
      key: 5000,
      dst_port: 4789,
      ipsec: null,
      local_ip: null,
    });
  });
});

describe('planning against OVS', () => {
  it("the applied file plans empty; the foreign port is reported, not changed; libvirt's iface-id is not drift", () => {
    const p = plan(desired(yaml), live());
    expect(
      p.changes.map((c) => [
        c.action,
        c.id,
        c.attrs.map((a) => `${a.name}:${JSON.stringify(a.before)}→${JSON.stringify(a.after)}`),
      ]),
    ).toEqual([]);
    expect(p.leftAlone).toEqual([expect.stringContaining('foreign port vnet3 on ovsbr0, left alone')]);
    expect(renderDrift(p)).toMatch(/^drift: foreign port vnet3 on ovsbr0/m);
  });

  it('foreign_ports makes a matching foreign port expected', () => {
    const p = plan(
      desired(yaml.replace('datapath: netdev', 'datapath: netdev\n    foreign_ports: "^vnet[0-9]+$"')),
      live(),
    );
    expect(p.changes).toEqual([]);
    expect(p.leftAlone).toBeUndefined();
  });

  it('drift from `ovs-vsctl set Port tap0 tag=11` is one update, one OVS command', () => {
    const l = live(raw((s) => s.replace(/"tap0",(\["uuid","[^"]+"\]),10,/, '"tap0",$1,11,')));
    expect(l.resources.get('ovs-port:tap0')!.attrs.tag).toBe(11);
    const p = plan(desired(yaml), l);
    expect(p.changes.map((c) => [c.action, c.id])).toEqual([['update', 'ovs-port:tap0']]);
    expect(p.operations.map((o) => [o.backend, ...o.args])).toEqual([['ovs', 'set', 'Port', 'tap0', 'tag=10']]);
  });

  it('updates tag, trunks, tunnel options and STP in place; a trunk back to "all" clears the column', () => {
    const next = yaml
      .replace('tap0: {tag: 10}', 'tap0: {trunks: [20, 10]}')
      .replace('datapath: netdev', 'datapath: netdev\n    stp: true\n    stp_priority: 4096')
      .replace('key: 42}', 'key: 43}');
    const p = plan(desired(next), live());
    const cmds = p.operations.map((o) => o.args.join(' '));
    expect(cmds).toEqual(
      expect.arrayContaining([
        'set Bridge ovsbr0 stp_enable=true other_config:stp-priority=4096 external_ids:nethost-keys="other_config:stp-priority"',
        'set Port tap0 trunks=10,20',
        'clear Port tap0 tag',
        'set Interface gre0 options:key=43',
      ]),
    );
    expect(p.operations.every((o) => o.backend === 'ovs')).toBe(true);
    const back = plan(
      desired(yaml),
      live(raw((s) => s.replace(/"tap0",(\["uuid","[^"]+"\]),10,\["set",\[\]\]/, '"tap0",$1,10,["set",[10,20]]'))),
    );
    expect(back.operations.map((o) => o.args.join(' '))).toEqual(['clear Port tap0 trunks']);
  });

  it("map keys count only where the row records them (nethost-keys): others' are not drift, nethost's are removed when the file drops them", () => {
    // By hand: other_config:stp-priority on the bridge and options:dst_port on gre0, neither recorded.
    const l = live(
      raw((s) =>
        s
          .replace('"netdev","', '"netdev","')
          .replace(
            /(\["map",\[\]\]),(\["set",\[\]\]),(\["map",\[\["nethost","1"\]\]\])\]\]/,
            '["map",[["stp-priority","4096"]]],$2,$3]]',
          )
          .replace('["dst_port","4790"]', '')
          .replace('["key","42"]', '["dst_port","4790"],["key","42"]'),
      ),
    );
    const br = l.resources.get('link:ovsbr0')!;
    expect(br.attrs).toMatchObject({ stp_priority: 32768 });
    expect(br.carried).toEqual({ keys: [], foreign: { 'other_config:stp-priority': '4096' } });
    const gre = l.resources.get('ovs-tunnel:gre0')!;
    expect(gre.attrs).toMatchObject({ dst_port: null, key: 42 });
    expect(gre.carried).toEqual({
      keys: ['options:key', 'options:local_ip', 'options:remote_ip'],
      foreign: { 'options:dst_port': '4790' },
    });
    expect(plan(desired(yaml), l).changes).toEqual([]);
    // The file drops gre0's key and local_ip: those two go, the record with them; dst_port stays.
    const p = plan(desired(yaml.replace(', local_ip: 198.51.100.1, key: 42', '')), l);
    expect(p.operations.map((o) => o.args.join(' '))).toEqual([
      'set Interface gre0 external_ids:nethost-keys="options:remote_ip"',
      'remove Interface gre0 options local_ip',
      'remove Interface gre0 options key',
    ]);
    // The file claims the bridge's key: written and recorded (it read as unset).
    const claim = plan(desired(yaml.replace('datapath: netdev', 'datapath: netdev\n    stp_priority: 8192')), l);
    expect(claim.operations.map((o) => o.args.join(' '))).toEqual([
      'set Bridge ovsbr0 other_config:stp-priority=8192 external_ids:nethost-keys="other_config:stp-priority"',
    ]);
    // A rollback to the snapshot (the live state as target) writes someone else's value back, unrecorded.
    const after = live(
      raw((s) =>
        s.replace(
          /(\["map",\[\]\]),(\["set",\[\]\]),\["map",\[\["nethost","1"\]\]\]\]\]/,
          '["map",[["stp-priority","8192"]]],$2,["map",[["nethost","1"],["nethost-keys","other_config:stp-priority"]]]]]',
        ),
      ),
    );
    expect(after.resources.get('link:ovsbr0')!.attrs.stp_priority).toBe(8192);
    const back = plan({ file: '(snapshot)', resources: l.resources }, after);
    expect(back.operations.map((o) => o.args.join(' '))).toEqual([
      'set Bridge ovsbr0 other_config:stp-priority="4096"',
      'remove Bridge ovsbr0 external_ids nethost-keys',
    ]);
  });

  it('a file without a port removes it (del-port) and takes nothing else; kernel links wait for their ports', () => {
    const p = plan(desired(yaml.replace('      tap1: {tag: 20}\n', '').replace('  tap1: {kind: tap}\n', '')), live());
    expect(p.changes.map((c) => [c.action, c.id])).toEqual([
      ['delete', 'ovs-port:tap1'],
      ['delete', 'link:tap1'],
    ]);
    expect(p.operations.map((o) => o.args.join(' '))).toEqual(['del-port ovsbr0 tap1', 'link del dev tap1']);
  });

  it('creates in one transaction: kernel links first, all OVS rows consecutively, then devices up, addresses, routes', () => {
    const empty = normaliseLive(
      {
        links: [],
        neighbors: [],
        routes4: [],
        routes6: [],
        rules4: [],
        rules6: [],
        sysctls: {},
        ovs: { db: 'unix:/x', bridges: [], ports: [], interfaces: [] },
      },
      facts(),
    );
    const p = plan(desired(yaml), empty);
    const backends = p.operations.map((o) => o.backend);
    const first = backends.indexOf('ovs');
    const last = backends.lastIndexOf('ovs');
    expect(backends.slice(first, last + 1).every((b) => b === 'ovs')).toBe(true);
    const at = (re: RegExp) => p.operations.findIndex((o) => re.test(o.args.join(' ')));
    expect(at(/tuntap add mode tap name tap0/)).toBeLessThan(at(/add-port ovsbr0 tap0/));
    expect(at(/add-port ovsbr0 mgmt0/)).toBeLessThan(at(/link set dev mgmt0 up/));
    expect(at(/link set dev mgmt0 up/)).toBeLessThan(at(/route replace 203.0.113.0\/24/));
    expect(at(/add-port ovsbr0 gre0/)).toBeLessThan(at(/set Interface gre0 options:remote_ip/));
    const script = renderScript(p, { ovsdb: 'unix:/run/x/db.sock' });
    expect(script.match(/^ovs-vsctl /gm)).toHaveLength(1);
    expect(script).toMatch(
      /^ovs-vsctl --timeout=\d+ --db=unix:\/run\/x\/db.sock \\\n  -- add-br ovsbr0 -- set Bridge ovsbr0 external_ids:nethost=1 datapath_type=netdev/m,
    );
  });

  it('the IPsec key is never in the plan, its JSON or the script: the script reads the file when it runs', () => {
    const text = `version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, ports: [sec0]}\n  sec0: {kind: ovs-tunnel, type: gre, remote_ip: 198.51.100.5, ipsec: {psk_file: /etc/nethost/ipsec.psk}}\n`;
    const empty = normaliseLive(
      {
        links: [],
        neighbors: [],
        routes4: [],
        routes6: [],
        rules4: [],
        rules6: [],
        sysctls: {},
        ovs: { db: 'unix:/x', bridges: [], ports: [], interfaces: [] },
      },
      facts(),
    );
    const p = plan(desired(text), empty);
    const json = JSON.stringify(planJson(p));
    expect(json).toContain('options:psk=<read from /etc/nethost/ipsec.psk>');
    expect(renderScript(p)).toContain(`"options:psk=\\"$(cat /etc/nethost/ipsec.psk)\\""`);
    const op = p.operations.find((o) => o.args.some((a) => a.startsWith('options:psk=')))!;
    expect(ovsBackend.command(op, undefined)).toContain('options:psk=<read from /etc/nethost/ipsec.psk>');
  });

  it('deleting a bridge that carries a foreign port is refused, naming the port', () => {
    expect(() => plan(desired('version: 1\n'), live())).toThrow(
      /OVS bridge ovsbr0 is not in the file, but it carries port vnet3 that nethost did not add/,
    );
  });

  it('unmarked rows the file names are adopted (&), and the mark goes on the Bridge and Port rows', () => {
    const l = live(
      raw((s) =>
        s
          .replace(/\["map",\[\["nethost","1"\]\]\]/g, '["map",[]]')
          .replace(
            /\["iface-id","abc"\],\["nethost","1"\]|\["nethost","1"\],\["iface-id","abc"\]/g,
            '["iface-id","abc"]',
          ),
      ),
    );
    expect(l.resources.get('link:ovsbr0')!.owned).toBe(false);
    const p = plan(desired(yaml), l);
    expect(
      new Set(p.changes.filter((c) => c.kind === 'ovs-bridge' || c.kind === 'ovs-port').map((c) => c.action)),
    ).toEqual(new Set(['adopt']));
    expect(p.operations.map((o) => o.args.join(' '))).toContain('set Port tap0 external_ids:nethost=1');
  });
});

describe('the file', () => {
  it('refuses type ipsec_gre with the fix, positioned', () => {
    const r = load(
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, ports: [ipsec0]}\n  ipsec0: {kind: ovs-tunnel, type: ipsec_gre, remote_ip: 198.51.100.5}\n',
    );
    expect(r.desired).toBeUndefined();
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({
      source: { line: 4 },
      message: 'type "ipsec_gre": OVS removed the ipsec_gre tunnel type',
    });
    expect(r.diagnostics[0].hint).toMatch(/type: gre.*ipsec: \{psk_file/);
  });

  it('patch ports: the two ends must name each other; vlan_mode is a port setting', () => {
    const file = (peerB: string) =>
      `version: 1\ninterfaces:\n  br-a: {kind: ovs-bridge, ports: {p-ab: {trunks: [10], vlan_mode: trunk}}}\n  br-b: {kind: ovs-bridge, ports: [p-ba]}\n  p-ab: {kind: ovs-patch, peer: p-ba}\n  p-ba: {kind: ovs-patch, peer: ${peerB}}\n`;
    const ok = load(file('p-ab'));
    expect(ok.diagnostics).toEqual([]);
    expect(ok.desired!.resources.get('ovs-patch:p-ab')!.attrs).toMatchObject({ peer: 'p-ba' });
    expect(ok.desired!.resources.get('ovs-port:p-ab')!.attrs).toMatchObject({
      type: 'patch',
      vlan_mode: 'trunk',
      trunks: [10],
    });
    expect(ok.desired!.resources.get('ovs-port:p-ba')!.attrs).toMatchObject({ type: 'patch', vlan_mode: null });
    const wrong = load(file('p-xx'));
    expect(wrong.desired).toBeUndefined();
    expect(wrong.diagnostics.map((d) => d.message)).toEqual(['patch port p-ab has peer p-ba, but p-ba has peer p-xx']);
    expect(wrong.diagnostics[0]).toMatchObject({ source: { line: 5 } });
    const self = load(file('p-ab').replace('peer: p-ba}', 'peer: p-ab}'));
    expect(self.diagnostics.map((d) => d.message)).toEqual(
      expect.arrayContaining(['patch port p-ab names itself as its peer']),
    );
    const mode = load(file('p-ab').replace('vlan_mode: trunk', 'vlan_mode: tagged'));
    expect(mode.desired).toBeUndefined();
    expect(mode.diagnostics[0].message).toMatch(
      /not one of trunk, access, native-tagged, native-untagged, dot1q-tunnel/,
    );
  });

  it('tunnel names are OVSDB names: gre0 is valid for ovs-tunnel (not for a kernel gre)', () => {
    expect(
      load(
        'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, ports: [gre0]}\n  gre0: {kind: ovs-tunnel, type: gre, remote_ip: 198.51.100.2}\n',
      ).desired,
    ).toBeDefined();
    expect(load('version: 1\ninterfaces:\n  gre0: {kind: gre, remote: 198.51.100.2}\n').desired).toBeUndefined();
  });

  it('ports of an ovs-bridge get no kernel master; a tag out of range, an undeclared port and a tunnel on no bridge are positioned errors', () => {
    const d = desired(yaml);
    expect(d.resources.get('link:tap0')!.attrs.master).toBeNull();
    const msgs = (text: string) => load(text).diagnostics.map((x) => `${x.source?.line}: ${x.message}`);
    expect(
      msgs(
        'version: 1\ninterfaces:\n  br0:\n    kind: ovs-bridge\n    ports:\n      tap0: {tag: 5000}\n  tap0: {kind: tap}\n',
      ),
    ).toEqual(['6: tag 5000 is out of range 0–4095']);
    expect(
      msgs(
        'version: 1\ninterfaces:\n  br0:\n    kind: ovs-bridge\n    ports:\n      tap0: {tag: 10}\n      ghost: {}\n  tap0: {kind: tap}\n  vx9: {kind: ovs-tunnel, type: vxlan, remote_ip: 198.51.100.9}\n',
      ),
    ).toEqual(['7: port "ghost" of br0 is not declared', '9: ovs-tunnel vx9 is not a port of any ovs-bridge']);
  });

  it('IPsec on the userspace datapath is refused at load', () => {
    const r = load(
      'version: 1\ninterfaces:\n  br0: {kind: ovs-bridge, datapath: netdev, ports: [sec0]}\n  sec0: {kind: ovs-tunnel, type: gre, remote_ip: 198.51.100.5, ipsec: {psk_env: PSK}}\n',
    );
    expect(r.diagnostics.map((x) => x.message)).toEqual([
      expect.stringMatching(/IPsec tunnel sec0 needs the kernel datapath/),
    ]);
  });
});

it('the read-back knows which interfaces and bridges a run asked ovs-vswitchd to build', () => {
  const op = (...args: string[]) => ({
    resource: 'x',
    action: 'create' as const,
    phase: 'put' as const,
    backend: 'ovs',
    args,
    disruptive: false,
  });
  const b = builtBy([
    op('add-br', 'br0'),
    op('add-port', 'br0', 'tap0', 'tag=10'),
    op('add-bond', 'br0', 'bond1', 'eth1', 'eth2', 'external_ids:nethost=1'),
    op('add-port', 'br0', 'gone'),
    op('del-port', 'br0', 'gone'),
  ]);
  expect([...b.interfaces.keys()].sort()).toEqual(['br0', 'eth1', 'eth2', 'tap0']);
  expect([...b.bridges.keys()]).toEqual(['br0']);
});

describe('a rotated IPsec key (the file names another key than OVSDB holds)', () => {
  const OLD = 'old-key-0123';
  /** One operation as ovs-vsctl gets it, after the `--` that ends the global options. */
  const vsctlCommand = (o: Parameters<typeof ovsBackend.command>[0]) =>
    ovsBackend
      .command(o, undefined)
      .join(' ')
      .replace(/^.* -- /, '');
  const NEW = 'new-key-4567';
  /** The fixture's OVSDB with its GRE tunnel named `tunnel` on the kernel datapath (IPsec needs
   *  it), holding `psk` with reference `ref` (none: set by hand). A name of its own per test: the
   *  held key is the process's, per tunnel. */
  const rows = (tunnel: string, psk: string, ref?: string) => {
    const r = raw();
    for (const b of r.ovs!.bridges) b.datapath_type = '';
    const gre = r.ovs!.interfaces.find((i) => i.name === 'gre0')!;
    gre.name = tunnel;
    r.ovs!.ports.find((p) => p.name === 'gre0')!.name = tunnel;
    gre.options.psk = psk;
    if (ref !== undefined) gre.external_ids['nethost-psk'] = ref;
    return r;
  };
  /** A key file holding `key`, OVSDB holding OLD under its reference, and the file naming it. */
  const setup = (tunnel: string, key: string) => {
    const f = join(mkdtempSync(join(tmpdir(), 'nethost-psk-')), 'psk');
    writeFileSync(f, `${key}\n`, { mode: 0o600 });
    const text = yaml
      .replace(/datapath: netdev/g, 'datapath: system')
      .replaceAll('gre0', tunnel)
      .replace(/(  \S+: +\{kind: ovs-tunnel, type: gre[^}]*)\}/, `$1, ipsec: {psk_file: ${f}}}`);
    return { f, r: rows(tunnel, OLD, `file:${f}`), text };
  };

  it('is a change to plan and drift to report, the key in no output; the same key is none', () => {
    const { f, r, text } = setup('rot0', NEW);
    expect(text).toContain(`ipsec: {psk_file: ${f}}`);
    markOtherKeys(r.ovs!);
    expect(r.ovs!.otherKey).toEqual(['rot0']);
    const l = live(r);
    expect(l.resources.get('ovs-tunnel:rot0')!.attrs.ipsec).toBe(`file:${f} (another key)`);
    const p = plan(desired(text), l);
    const c = p.changes.find((x) => x.id === 'ovs-tunnel:rot0')!;
    expect(c.attrs).toEqual([
      expect.objectContaining({ name: 'ipsec', before: `file:${f} (another key)`, after: `file:${f}` }),
    ]);
    const op = p.operations.find((o) => o.resource === 'ovs-tunnel:rot0')!;
    expect(ovsBackend.command(op, undefined).join(' ')).toContain(
      `set Interface rot0 options:psk=<read from ${f}> external_ids:nethost-psk=file:${f}`,
    );
    const shown = JSON.stringify(planJson(p)) + renderScript(p) + renderDrift(p);
    expect(shown).toContain('(another key)');
    for (const k of [OLD, NEW]) expect(shown).not.toContain(k);
    // The key the tunnel had is kept for a rollback of this process, and only here.
    expect(heldKey('rot0')).toBe(OLD);
    expect(resolvePsk('held:rot0')).toBe(OLD);
    // The file naming the key OVSDB has: no mark, no change.
    writeFileSync(f, `${OLD}\n`);
    const same = rows('rot0', OLD, `file:${f}`);
    markOtherKeys(same.ovs!);
    expect(same.ovs!.otherKey).toBeUndefined();
  });

  it("a rollback puts the held key back, in a transaction of its own; without it (another process), the file's key stays and the report says so", () => {
    const { f, r } = setup('rot1', NEW);
    markOtherKeys(r.ovs!);
    const snapshot = live(r);
    // After the apply set the file's key: now OVSDB holds NEW.
    const after = rows('rot1', NEW, `file:${f}`);
    writeFileSync(f, `${NEW}\n`);
    markOtherKeys(after.ovs!);
    const now = live(after);
    expect(now.resources.get('ovs-tunnel:rot1')!.attrs.ipsec).toBe(`file:${f}`);
    const back = plan({ file: '(snapshot)', resources: snapshot.resources }, now);
    const ops = back.operations.filter((o) => o.resource === 'ovs-tunnel:rot1');
    expect(ops.map((o) => o.options)).toEqual([['held key'], ['held key']]);
    expect(ops.map(vsctlCommand)).toEqual([
      'set Interface rot1 options:psk=<the key it had>',
      `set Interface rot1 external_ids:nethost-psk=file:${f}`,
    ]);
    const arg = ops[0].args.find((a) => a.startsWith('options:psk='))!;
    expect(resolvePsk(arg.slice(arg.indexOf('\u0000psk:') + 5))).toBe(OLD); // what the backend puts in at run time
    for (const k of [OLD, NEW]) expect(renderScript(back) + JSON.stringify(planJson(back))).not.toContain(k);
    // That change, with the held key, is a difference like any other until it is put back.
    const scope = restoreScope(
      back.changes.map((c) => c.id),
      snapshot,
      now,
    );
    expect(restoreReport(back.changes, snapshot, now, scope).differences.join('\n')).toContain('rot1');
    // A process that never read the old key (a recovery after kill -9) has nothing to put back.
    const { f: f2, r: r2 } = setup('rot2', NEW);
    const snap2 = live(r2); // read by another process: marked, but nothing held here
    snap2.resources.get('ovs-tunnel:rot2')!.attrs.ipsec = `file:${f2} (another key)`;
    const n2 = live(rows('rot2', NEW, `file:${f2}`));
    expect(heldKey('rot2')).toBeUndefined();
    const back2 = plan({ file: '(snapshot)', resources: snap2.resources }, n2);
    expect(back2.operations.filter((o) => o.resource === 'ovs-tunnel:rot2')).toEqual([]);
    const rep = restoreReport(
      back2.changes,
      snap2,
      n2,
      restoreScope(
        back2.changes.map((c) => c.id),
        snap2,
        n2,
      ),
    );
    expect(rep.differences).toEqual([]);
    expect(rep.leftAlone).toEqual([
      expect.stringMatching(
        new RegExp(
          `rot2: its IPsec key stays the one ${f2} holds: the key it had before is not known to this process \\(nethost never stores keys\\)`,
        ),
      ),
    ]);
    expect(() => resolvePsk('held:rot2')).toThrow(
      'IPsec key of rot2: the key it had before this apply is not known to this process (nethost never stores keys)',
    );
  });

  it('a key set by hand (no reference) that the file replaced is put back as it was, reference removed', () => {
    const { f, text } = setup('rot3', NEW);
    const hand = rows('rot3', OLD); // by hand: no external_ids:nethost-psk
    markOtherKeys(hand.ovs!);
    const snapshot = live(hand);
    expect(snapshot.resources.get('ovs-tunnel:rot3')!.attrs.ipsec).toBe('(set by hand)');
    expect(plan(desired(text), snapshot).changes.find((c) => c.id === 'ovs-tunnel:rot3')!.attrs).toEqual([
      expect.objectContaining({ name: 'ipsec', before: '(set by hand)', after: `file:${f}` }),
    ]);
    expect(heldKey('rot3')).toBe(OLD);
    const back = plan({ file: '(snapshot)', resources: snapshot.resources }, live(rows('rot3', NEW, `file:${f}`)));
    expect(back.operations.filter((o) => o.resource === 'ovs-tunnel:rot3').map(vsctlCommand)).toEqual([
      'set Interface rot3 options:psk=<the key it had>',
      'remove Interface rot3 external_ids nethost-psk',
    ]);
  });
});
