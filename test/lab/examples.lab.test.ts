// The examples only the kernel lab can run (one of their needs is a kernel facility: derived from the
// registry in test/helpers/needs.ts, as the host's examples test derives what it runs) that no other
// lab test names: each is applied to a fresh namespace here as the host applies its own (apply, a
// second plan empty, an empty file removes it). Every such example has a lab test of its own today
// (kinds, documents, firewall, ovs, ipsec); this file makes a new one run anyway, never skipped.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireLab } from './guard.js';
import { deleteAllNetns, links, newNetns, nethost, provideEthernets, tempFile } from '../helpers/netns.js';
import { startOvs, stopAllOvs } from '../helpers/ovs.js';
import { exampleNeeds, labExamples, whyUnavailable } from '../helpers/needs.js';
import { readHostFacts } from '../../src/live/read.js';

requireLab();
// The guest boots without udev: load tun so that /dev/net/tun exists for taps.
beforeAll(() => {
  spawnSync('modprobe', ['tun']);
});
afterAll(() => (stopAllOvs(), deleteAllNetns()));

const facts = await readHostFacts();
const files = labExamples(facts);

it(`finds the examples to apply here: ${files.join(', ') || 'none today'}`, () => {
  const lacking = files.flatMap((f) =>
    exampleNeeds(`examples/${f}`, facts).flatMap((n) =>
      whyUnavailable(n) ? [`${f} needs ${n}: ${whyUnavailable(n)}`] : [],
    ),
  );
  expect(lacking).toEqual([]);
});

for (const file of files)
  describe(`example ${file}`, () => {
    it('applies, plans empty, and is removed by an empty file', () => {
      const path = `examples/${file}`;
      const ns = newNetns('labex');
      provideEthernets(ns, path);
      const before = [...links(ns).keys()].sort();
      const ovs = exampleNeeds(path, facts).includes('ovs') ? startOvs(ns) : undefined;
      const run = (...args: string[]) => nethost(...args, '--netns', ns, ...(ovs ? ['--ovsdb', ovs.db] : []));
      const apply = run('apply', path, '--yes');
      expect(apply.code, apply.stderr + apply.stdout).toBe(0);
      const again = run('plan', path);
      expect(again.code, again.stdout).toBe(0);
      const clean = run('apply', tempFile('empty.yaml', 'version: 1\n'), '--yes');
      expect(clean.code, clean.stderr).toBe(0);
      expect(run('plan', tempFile('empty.yaml', 'version: 1\n')).code).toBe(0);
      // What the kernel and Open vSwitch add by themselves (gre0, ip6gre0 … with a module; ovs-system
      // while ovs-vswitchd runs) is not nethost's.
      const theirs = /^((gre|gretap|erspan|ip6gre|ip6tnl|sit|tunl|ip_vti|ip6_vti)0|ovs-system)$/;
      expect([...links(ns).keys()].filter((n) => !before.includes(n) && !theirs.test(n))).toEqual([]);
    });
  });
