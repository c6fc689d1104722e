// What a kind's sample or an example needs beyond what every host has (KindSample.needs), whether this
// machine has it, and from that where it runs: here, or in the kernel lab. Nothing is listed by kind
// or by file: each need is probed once by trying it in a scratch namespace, and an example's needs
// come from the kinds of the resources the project's own loader makes of it.
//
// The lab (test/lab/run.sh) boots another kernel on this machine's own userspace: it is the place for
// a need of the kernel (a module this host's kernel lacks); a need of the userspace (a running Open
// vSwitch) the lab has exactly when this host has it. So what runs in the lab is derived in the same
// way on both sides, without either knowing the other's kernel: everything with a kernel need.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { deleteNetns, newNetns } from './netns.js';
import { startOvs, stopOvs } from './ovs.js';
import { ALL_KINDS, kindOf } from '../../src/registry/kinds.js';
import { loadDesiredState } from '../../src/config/load.js';
import type { HostFacts } from '../../src/kinds/types.js';

interface Need {
  /** A facility of the kernel (the lab may have it) or of this machine's userspace (the lab has it iff this host has). */
  kernel: boolean;
  /** Modules the lab guest loads before trying (it boots without udev; the other lab tests do the same). */
  modules: string[];
  /** Tries the need in the scratch namespace `ns`; throws with the tool's words when it is not met. */
  probe(ns: string): void;
}

function run(argv: string[], input?: string) {
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', input });
  if (r.status !== 0)
    throw new Error(`${argv.join(' ')}: ${(r.stderr || r.stdout || r.error?.message || `exit ${r.status}`).trim()}`);
}
const link = (ns: string, ...args: string[]) => run(['ip', '-n', ns, 'link', 'add', ...args]);

export const NEEDS: Record<string, Need> = {
  bonding: { kernel: true, modules: ['bonding'], probe: (ns) => link(ns, 'nhtp', 'type', 'bond') },
  '8021q': {
    kernel: true,
    modules: ['8021q'],
    probe: (ns) => (
      link(ns, 'nhtp', 'type', 'veth', 'peer', 'name', 'nhtq'),
      link(ns, 'link', 'nhtp', 'name', 'nhtp.5', 'type', 'vlan', 'id', '5')
    ),
  },
  ip_gre: {
    kernel: true,
    modules: ['ip_gre'],
    probe: (ns) => (
      link(ns, 'nhtp', 'type', 'gre', 'remote', '198.51.100.2'),
      link(ns, 'nhtq', 'type', 'gretap', 'remote', '198.51.100.2')
    ),
  },
  ip6_gre: {
    kernel: true,
    modules: ['ip6_gre'],
    probe: (ns) => (
      link(ns, 'nhtp', 'type', 'ip6gre', 'remote', '2001:db8::2'),
      link(ns, 'nhtq', 'type', 'ip6gretap', 'remote', '2001:db8::2')
    ),
  },
  dummy: { kernel: true, modules: ['dummy'], probe: (ns) => link(ns, 'nhtp', 'type', 'dummy') },
  // The kernel datapath: a datapath made and removed in the scratch namespace, as ovs-vswitchd would.
  'openvswitch-kernel': {
    kernel: true,
    modules: ['openvswitch'],
    probe: (ns) => (
      run(['ip', 'netns', 'exec', ns, 'ovs-dpctl', 'add-dp', 'nhtprobe']),
      run(['ip', 'netns', 'exec', ns, 'ovs-dpctl', 'del-dp', 'nhtprobe'])
    ),
  },
  // Connection state in the bridge family, which guard allow-lists match on (as firewall.test.ts asks).
  nf_conntrack_bridge: {
    kernel: true,
    modules: ['nf_conntrack_bridge'],
    probe: (ns) =>
      run(
        ['ip', 'netns', 'exec', ns, 'nft', '-f', '-'],
        'table bridge t { chain c { ct state established accept } }\n',
      ),
  },
  // A private ovsdb-server and ovs-vswitchd (test/helpers/ovs.ts), started and stopped.
  ovs: { kernel: false, modules: [], probe: (ns) => stopOvs(startOvs(ns)) },
};

const probed = new Map<string, string | true>();

/** Why `need` is not met on this machine (probed once), or undefined when it is. */
export function whyUnavailable(need: string): string | undefined {
  const n = NEEDS[need];
  if (!n) throw new Error(`unknown need "${need}": test/helpers/needs.ts has no probe for it (add one)`);
  if (!probed.has(need)) {
    if (process.env.NETHOST_LAB === '1') for (const m of n.modules) spawnSync('modprobe', [m]);
    const ns = newNetns('probe');
    try {
      n.probe(ns);
      probed.set(need, true);
    } catch (e) {
      probed.set(need, (e as Error).message);
    } finally {
      deleteNetns(ns);
    }
  }
  const r = probed.get(need)!;
  return r === true ? undefined : r;
}

export const available = (need: string) => whyUnavailable(need) === undefined;
export const isKernelNeed = (need: string) => {
  if (!NEEDS[need]) throw new Error(`unknown need "${need}": test/helpers/needs.ts has no probe for it (add one)`);
  return NEEDS[need].kernel;
};

/** Everything it needs is here. */
export const runsHere = (needs: readonly string[]) => needs.every(available);
/** The lab runs it: it needs something of the kernel (the lab has this machine's userspace, so a
 *  missing userspace need is missing there too). Derived the same way on the host and in the guest. */
export const runsInLab = (needs: readonly string[]) => needs.some(isKernelNeed);

/** A kind's sample's needs; a kind without a sample is an error (see conformance.test.ts). */
export function sampleNeeds(kind: string): readonly string[] {
  const s = kindOf(kind).sample;
  if (!s) throw new Error(`kind ${kind} has no sample (src/kinds/…: sample: {file, change, needs})`);
  return s.needs ?? [];
}

/** Registered kinds whose conformance test runs in the lab. */
export const labKinds = () => ALL_KINDS.map((k) => k.name).filter((k) => runsInLab(sampleNeeds(k)));

/**
 * What an example needs: its resources' kinds' sample needs (loaded with the project's loader), and
 * what only their values say: an Open vSwitch bridge on the kernel datapath needs the kernel module;
 * a guard allow-list matches connection state in the bridge family (nf_conntrack_bridge).
 */
export function exampleNeeds(path: string, facts: HostFacts): string[] {
  const r = loadDesiredState(readFileSync(path, 'utf8'), path, facts);
  if (!r.desired) throw new Error(`${path} does not load: ${r.diagnostics.map((d) => d.message).join('; ')}`);
  const needs = new Set<string>();
  for (const res of r.desired.resources.values()) {
    for (const n of sampleNeeds(res.kind)) needs.add(n);
    if (res.kind === 'ovs-bridge' && res.attrs.datapath === 'system') needs.add('openvswitch-kernel');
    if (
      res.kind === 'firewall' &&
      (res.attrs.rules as string[] | undefined)?.some((l) => /^bridge [^:]+: (.* )?ct /.test(l))
    )
      needs.add('nf_conntrack_bridge');
  }
  return [...needs].sort();
}

export const exampleFiles = () =>
  readdirSync('examples')
    .filter((f) => f.endsWith('.yaml'))
    .sort();

/** Examples named (examples/NAME) by a lab test file other than `except`: the ones those files apply. */
export function namedByLabTests(except: string): Set<string> {
  const text = readdirSync('test/lab')
    .filter((f) => f.endsWith('.lab.test.ts') && f !== except)
    .map((f) => readFileSync(`test/lab/${f}`, 'utf8'))
    .join('\n');
  return new Set(exampleFiles().filter((f) => text.includes(`examples/${f}`)));
}

/** The examples test/lab/examples.lab.test.ts applies: those the lab runs that no other lab test names. */
export function labExamples(facts: HostFacts): string[] {
  const named = namedByLabTests('examples.lab.test.ts');
  return exampleFiles().filter((f) => runsInLab(exampleNeeds(`examples/${f}`, facts)) && !named.has(f));
}
