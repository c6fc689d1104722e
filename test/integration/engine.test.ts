// The apply engine under faults: a rollback that must re-create what the kernel dropped, signals
// mid-apply, kill -9 mid-apply and the recovery after it, and the lock. Each of these failed on the
// engine before v2 (see the project's issue 9).
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { deleteAllNetns, ip, links, newNetns, nethost, tempFile } from '../helpers/netns.js';
import { kernelState } from '../helpers/state.js';
import { acquireLock, netnsIdentity } from '../../src/exec/lock.js';
import { processStart } from '../../src/exec/journal.js';

afterAll(() => deleteAllNetns());

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const REAL_SYSCTL = ['/usr/sbin/sysctl', '/sbin/sysctl'].find((p) => existsSync(p))!;

/** A directory with a `sysctl` that hangs on writes (and reads as the real one): an apply stops
 *  there, at a known operation, for as long as the test needs. */
function hangingSysctl(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nethost-shim-'));
  writeFileSync(
    join(dir, 'sysctl'),
    `#!/bin/sh\nfor a in "$@"; do [ "$a" = -w ] && exec sleep 300; done\nexec ${REAL_SYSCTL} "$@"\n`,
  );
  chmodSync(join(dir, 'sysctl'), 0o755);
  return dir;
}

const runDir = () => mkdtempSync(join(tmpdir(), 'nethost-run-'));

function start(args: string[], env: Record<string, string>, stdin: 'ignore' | 'pipe' = 'ignore') {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    detached: true,
    stdio: [stdin, 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b) => (stdout += b));
  child.stderr!.on('data', (b) => (stderr += b));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>(
    (resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done, err: () => stderr };
}

async function waitFor<T>(what: string, f: () => T | undefined, limitMs = 30_000): Promise<T> {
  for (let waited = 0; waited < limitMs; waited += 20) {
    const v = f();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The progress record of the apply in flight in `dir`, once its child is a sysctl write. */
const sysctlProgress = (dir: string) => () => {
  const f = readdirSync(dir).find((n) => n.endsWith('.progress'));
  if (!f) return undefined;
  try {
    const p = JSON.parse(readFileSync(join(dir, f), 'utf8'));
    return p.child?.argv.includes('sysctl') ? p : undefined;
  } catch {
    return undefined; // being renamed into place
  }
};

const SIGNAL_FILE = `version: 1
interfaces:
  br0: {kind: bridge, ports: [tap0, tap1], addresses: [192.0.2.1/24]}
  tap0: {kind: tap}
  tap1: {kind: tap}
  br1: {kind: bridge, addresses: [198.51.100.1/24]}
routes:
  - {to: 203.0.113.0/24, via: 192.0.2.254}
sysctls:
  net.ipv4.conf.br0.forwarding: 1
`;

describe('rollback re-creates what the kernel dropped', () => {
  it('an MTU under 1280 flushes IPv6 from a bridge: verification fails, the address and the route are put back, and only then "restored and verified"', () => {
    const ns = newNetns('v6flush');
    const a = `version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.1/24, 2001:db8::1/64]}\nroutes:\n  - {to: 2001:db8:1::/64, dev: br0}\n`;
    expect(nethost('apply', tempFile('a.yaml', a), '--netns', ns, '--yes').code).toBe(0);
    const before = kernelState(ns);
    expect(before.addrs).toContain('br0 2001:db8::1/64 scope=global');
    const r = nethost(
      'apply',
      tempFile('b.yaml', a.replace('{kind: bridge,', '{kind: bridge, mtu: 1200,')),
      '--netns',
      ns,
      '--yes',
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/verification failed/);
    expect(r.stderr).toMatch(/previous state restored and verified/);
    expect(kernelState(ns)).toEqual(before);
    const drift = nethost('drift-check', tempFile('a.yaml', a), '--netns', ns);
    expect(drift.code, drift.stdout).toBe(0);
  });
});

describe('a process that cannot start', () => {
  it("is a failure like any other (an argument over the kernel's limit, E2BIG): a sentence, rolled back", async () => {
    const { applyPlan, loadFile, makePlan, readLive } = await import('../../src/engine/index.js');
    const { readHostFacts } = await import('../../src/live/read.js');
    const ns = newNetns('e2big');
    const before = kernelState(ns);
    const facts = await readHostFacts();
    const desired = await loadFile(
      tempFile('b.yaml', 'version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.1/24]}\n'),
      facts,
    );
    const snapshot = await readLive(ns, desired, facts);
    const plan = makePlan(desired, snapshot);
    const huge = {
      resource: 'sysctl:net/ipv4/conf/br0/forwarding',
      action: 'update' as const,
      phase: 'put' as const,
      backend: 'sysctl',
      args: [`net/ipv4/conf/br0/forwarding=${'1'.repeat(200_000)}`],
      disruptive: false,
    };
    const n = plan.operations.length + 1;
    await expect(
      applyPlan({ ...plan, operations: [...plan.operations, huge] }, desired, snapshot, facts),
    ).rejects.toThrow(
      new RegExp(
        `operation ${n} of ${n} failed: .*cannot run "ip": its arguments are too long for the kernel \\(E2BIG\\)\\nprevious state restored and verified`,
      ),
    );
    expect(kernelState(ns)).toEqual(before);
  });
});

describe('marks are restored as they were', () => {
  it('a foreign permanent neighbour the plan adopted gets its own protocol back when a later operation fails', () => {
    const ns = newNetns('neighrb');
    ip('-n', ns, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', ns, 'link', 'set', 'br0', 'up');
    ip('-n', ns, 'neigh', 'replace', '192.0.2.9', 'lladdr', '02:00:00:00:00:09', 'dev', 'br0', 'nud', 'permanent');
    const before = kernelState(ns);
    // The route comes after the neighbour (routes after neighbours) and the kernel refuses it: its
    // preferred source is no address of this host.
    const file = `version: 1\ninterfaces:\n  br0: {kind: bridge}\nneighbors:\n  - {dev: br0, to: 192.0.2.9, lladdr: 02:00:00:00:00:09}\nroutes:\n  - {to: 203.0.113.0/24, dev: br0, src: 198.51.100.77}\n`;
    const r = nethost('apply', tempFile('n.yaml', file), '--netns', ns, '--yes');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/operation \d+ of \d+ failed: ip -n \S+ route replace 203\.0\.113\.0\/24/);
    expect(r.stderr).toMatch(/previous state restored and verified/);
    expect(kernelState(ns)).toEqual(before);
    expect(before.neighbors).toEqual(['192.0.2.9 dev=br0 lladdr=02:00:00:00:00:09 proto=']);
  });
});

describe('signals mid-apply', () => {
  for (const [sig, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${sig} while an operation runs: the batch stops, the previous state is back, exit ${code} with a message`, async () => {
      const ns = newNetns('sig');
      ip('-n', ns, 'link', 'add', 'theirs', 'type', 'bridge');
      const before = kernelState(ns);
      const dir = runDir();
      const file = tempFile('s.yaml', SIGNAL_FILE);
      const { child, done } = start(['apply', file, '--netns', ns, '--yes'], {
        PATH: `${hangingSysctl()}:${process.env.PATH}`,
        NETHOST_LOCK_DIR: dir,
      });
      const progress = await waitFor('the sysctl operation to run', sysctlProgress(dir));
      expect(links(ns).has('br0')).toBe(true); // the first batch ran: there is something to undo
      // As a terminal does: the signal goes to nethost's process group.
      process.kill(-child.pid!, sig);
      const r = await done;
      expect(r.code, r.stderr).toBe(code);
      expect(r.stderr).toMatch(new RegExp(`interrupted by ${sig}`));
      expect(r.stderr).toMatch(/previous state restored and verified/);
      expect(kernelState(ns)).toEqual(before);
      expect(processStart(progress.child.pid)).toBe(null); // the hanging child was stopped
      expect(readdirSync(dir).filter((f) => !/\.(lock|gen)$/.test(f))).toEqual([]); // no journal left (the lock and the apply generation stay)
    });
  }
});

describe('kill -9 mid-apply', () => {
  it('leaves no child behind; plan and drift-check report the interruption; apply rolls it back first (stopping a named leftover by PID and start time), then converges', async () => {
    const ns = newNetns('kill9');
    const before = kernelState(ns);
    const dir = runDir();
    const file = tempFile('k.yaml', SIGNAL_FILE);
    const env = { NETHOST_LOCK_DIR: dir };
    const { child, done } = start(['apply', file, '--netns', ns, '--yes'], {
      ...env,
      PATH: `${hangingSysctl()}:${process.env.PATH}`,
    });
    const progress = await waitFor('the sysctl operation to run', sysctlProgress(dir));
    process.kill(child.pid!, 'SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    // The child of a dead nethost dies with it (no batch finishing on its own to race the next run).
    await waitFor('the orphaned child to die', () => processStart(progress.child.pid) === null || undefined, 5_000);
    expect(links(ns).has('br0')).toBe(true); // half a host

    const k = `at operation ${progress.first} of ${progress.of}`;
    const plan = spawnSync(process.execPath, [BIN, 'plan', file, '--netns', ns], {
      env: { ...process.env, ...env, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(plan.stderr).toMatch(
      new RegExp(`an apply of .*k\\.yaml \\(pid ${child.pid}, started [^)]+\\) was interrupted ${k}`),
    );
    const drift = spawnSync(process.execPath, [BIN, 'drift-check', file, '--netns', ns], {
      env: { ...process.env, ...env, NO_COLOR: '1' },
      encoding: 'utf8',
    });
    expect(drift.status).toBe(2);
    expect(drift.stdout).toMatch(new RegExp(`drift: an apply .* was interrupted ${k}`));

    // Two processes the journal might name: one is the leftover (PID and start time match) and must
    // be stopped; the other's start time differs (a reused PID) and must be left alone.
    const leftover = spawn('sleep', ['300'], { stdio: 'ignore' });
    const bystander = spawn('sleep', ['300'], { stdio: 'ignore' });
    try {
      await waitFor('sleep to start', () => processStart(leftover.pid!) && processStart(bystander.pid!));
      const pf = join(dir, readdirSync(dir).find((n) => n.endsWith('.progress'))!);
      const p = JSON.parse(readFileSync(pf, 'utf8'));
      writeFileSync(
        pf,
        JSON.stringify({
          ...p,
          child: { pid: leftover.pid, start: processStart(leftover.pid!), argv: ['ip', '-batch', '-'] },
        }),
      );
      const r = spawnSync(
        process.execPath,
        [BIN, 'apply', tempFile('e.yaml', 'version: 1\n'), '--netns', ns, '--yes'],
        { env: { ...process.env, ...env, NO_COLOR: '1' }, encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`was interrupted ${k}; rolling it back first`));
      expect(r.stderr).toMatch(new RegExp(`stopping ip \\(pid ${leftover.pid}\\)`));
      expect(r.stderr).toMatch(/the interrupted apply is rolled back: previous state restored and verified/);
      expect(processStart(leftover.pid!)).toBe(null);
      expect(processStart(bystander.pid!)).not.toBe(null);
      expect(kernelState(ns)).toEqual(before);
      expect(readdirSync(dir).filter((f) => !/\.(lock|gen)$/.test(f))).toEqual([]);
      // And the file applies normally afterwards.
      const again = spawnSync(process.execPath, [BIN, 'apply', file, '--netns', ns, '--yes'], {
        env: { ...process.env, ...env, NO_COLOR: '1' },
        encoding: 'utf8',
      });
      expect(again.status, again.stderr).toBe(0);
      expect(nethost('plan', file, '--netns', ns).code).toBe(0);
    } finally {
      leftover.kill('SIGKILL');
      bystander.kill('SIGKILL');
    }
  });
});

describe('the lock', () => {
  const FILE = 'version: 1\ninterfaces:\n  br9: {kind: bridge}\n';

  it('is not a PID file: a lock file naming a live, unrelated process (a reused PID) blocks nothing', () => {
    const ns = newNetns('lockpid');
    const dir = runDir();
    writeFileSync(join(dir, `net-${netnsIdentity(ns)}.lock`), '1\n'); // PID 1 is alive and is not nethost
    const r = spawnSync(process.execPath, [BIN, 'apply', tempFile('l.yaml', FILE), '--netns', ns, '--yes'], {
      env: { ...process.env, NETHOST_LOCK_DIR: dir },
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    expect(links(ns).has('br9')).toBe(true);
  });

  it('is keyed by the namespace, not its name: a second name (a bind mount) for a locked namespace is refused', () => {
    const ns = newNetns('lockname');
    const alias = `${ns}-alias`;
    writeFileSync(`/run/netns/${alias}`, '');
    execFileSync('mount', ['--bind', `/run/netns/${ns}`, `/run/netns/${alias}`]);
    const lock = acquireLock(ns);
    try {
      const r = nethost('apply', tempFile('l.yaml', FILE), '--netns', alias, '--yes');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`another nethost apply is running on namespace ${alias}`));
      expect(links(ns).has('br9')).toBe(false);
    } finally {
      lock.release();
      spawnSync('ip', ['netns', 'del', alias]);
    }
  });

  it('two applies at once: one applies, the other is refused or finds nothing to do; never both', async () => {
    const ns = newNetns('lockrace');
    const file = tempFile(
      'l.yaml',
      'version: 1\ninterfaces:\n' + Array.from({ length: 30 }, (_, i) => `  br${i}: {kind: bridge}\n`).join(''),
    );
    const [a, b] = await Promise.all([
      start(['apply', file, '--netns', ns, '--yes'], {}).done,
      start(['apply', file, '--netns', ns, '--yes'], {}).done,
    ]);
    const applied = [a, b].filter((r) => /Applied and verified/.test(r.stdout));
    expect(applied.length).toBe(1);
    const other = applied[0] === a ? b : a;
    expect(other.code === 0 ? other.stdout : other.stderr).toMatch(/No changes|another nethost apply is running/);
    expect(nethost('plan', file, '--netns', ns).code).toBe(0);
  });

  it('--lock-timeout waits for the holder, then goes on', async () => {
    const ns = newNetns('lockwait');
    const lock = acquireLock(ns);
    const { done } = start(['apply', tempFile('l.yaml', FILE), '--netns', ns, '--yes', '--lock-timeout', '30'], {});
    await new Promise((r) => setTimeout(r, 300));
    expect(links(ns).has('br9')).toBe(false); // still waiting
    lock.release();
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(links(ns).has('br9')).toBe(true);
  });

  it('every lock error is a sentence: an unusable lock directory, a non-root user', () => {
    const ns = newNetns('lockerr');
    const file = tempFile('l.yaml', FILE);
    const bad = spawnSync(process.execPath, [BIN, 'apply', file, '--netns', ns, '--yes'], {
      env: { ...process.env, NETHOST_LOCK_DIR: '/proc/sys/x' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(
      /^nethost: cannot use \/proc\/sys\/x for nethost's lock and journal: .* \(set by NETHOST_LOCK_DIR\)\n$/,
    );
    const user = spawnSync(
      'setpriv',
      [
        '--reuid',
        'nobody',
        '--regid',
        'nogroup',
        '--clear-groups',
        process.execPath,
        BIN,
        'apply',
        file,
        '--netns',
        ns,
        '--yes',
      ],
      {
        env: { ...process.env, NETHOST_LOCK_DIR: join(runDir(), 'sub') },
        encoding: 'utf8',
      },
    );
    expect(user.status).toBe(1);
    expect(user.stderr).toMatch(/permission denied \(nethost apply must run as root\)/);
    expect(user.stderr).not.toMatch(/EACCES|Code:|at .*\.js/);
    expect(links(ns).has('br9')).toBe(false);
  });
});

describe('apply --confirm (netplan try)', () => {
  const FILE = 'version: 1\ninterfaces:\n  br0: {kind: bridge, addresses: [192.0.2.1/24]}\n';
  const prompt = /Keep these changes\? Type "yes" within \d+ s/;

  it('no answer in time: rolled back and verified', async () => {
    const ns = newNetns('try');
    const before = kernelState(ns);
    const { child, done } = start(
      ['apply', tempFile('t.yaml', FILE), '--netns', ns, '--yes', '--confirm', '1'],
      {},
      'pipe',
    );
    const r = await done;
    child.stdin?.destroy();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(prompt);
    expect(r.stderr).toMatch(/the changes were not confirmed\nprevious state restored and verified/);
    expect(kernelState(ns)).toEqual(before);
  });

  it('"yes": kept', async () => {
    const ns = newNetns('tryyes');
    const { child, done, err } = start(
      ['apply', tempFile('t.yaml', FILE), '--netns', ns, '--yes', '--confirm', '60'],
      {},
      'pipe',
    );
    await waitFor('the prompt', () => prompt.test(err()) || undefined);
    expect(links(ns).has('br0')).toBe(true);
    child.stdin!.end('yes\n');
    const r = await done;
    expect(r.code, r.stderr).toBe(0);
    expect(links(ns).has('br0')).toBe(true);
    expect(nethost('plan', tempFile('t.yaml', FILE), '--netns', ns).code).toBe(0);
  });

  it('the session drops while it waits (SIGHUP): rolled back', async () => {
    const ns = newNetns('tryhup');
    const before = kernelState(ns);
    const { child, done, err } = start(
      ['apply', tempFile('t.yaml', FILE), '--netns', ns, '--yes', '--confirm', '60'],
      {},
      'pipe',
    );
    await waitFor('the prompt', () => prompt.test(err()) || undefined);
    process.kill(-child.pid!, 'SIGHUP');
    const r = await done;
    expect(r.code).toBe(129);
    expect(r.stderr).toMatch(/interrupted by SIGHUP\nprevious state restored and verified/);
    expect(kernelState(ns)).toEqual(before);
  });
});

describe('on a terminal', () => {
  // script(1) gives the command a pseudo-terminal; what is piped in is typed at its prompt.
  const onTty = (args: string[], typed: string) => {
    const q = (a: string) => `'${a.replace(/'/g, `'\\''`)}'`;
    const cmd = [process.execPath, BIN, ...args].map(q).join(' ');
    return spawnSync('sh', ['-c', `(sleep 3; printf '%s\\n' ${q(typed)}) | script -qec ${q(cmd)} /dev/null`], {
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });
  };
  it('apply asks; anything but "yes" changes nothing, "yes" applies', () => {
    const ns = newNetns('tty');
    const f = tempFile('t.yaml', 'version: 1\ninterfaces:\n  br0: {kind: bridge}\n');
    const no = onTty(['apply', f, '--netns', ns], 'y');
    expect(no.stdout).toMatch(/Apply these changes\? Only "yes" is accepted/);
    expect(no.stdout).toMatch(/Apply cancelled; nothing was changed/);
    expect(links(ns).has('br0')).toBe(false);
    const yes = onTty(['apply', f, '--netns', ns], 'yes');
    expect(yes.stdout).toMatch(/Applied and verified/);
    expect(links(ns).has('br0')).toBe(true);
  });
});

describe('output through a pipe', () => {
  it('a large plan --json (exit 2) arrives whole: exiting waits for the pipe', () => {
    const ns = newNetns('pipe');
    const names = Array.from({ length: 600 }, (_, i) => `tap${i}`);
    const f = tempFile('big.yaml', `version: 1\ninterfaces:\n${names.map((n) => `  ${n}: {kind: tap}\n`).join('')}`);
    for (let i = 0; i < 3; i++) {
      const r = nethost('plan', f, '--netns', ns, '--json');
      expect(r.code).toBe(2);
      expect(r.stdout.length).toBeGreaterThan(200_000);
      expect(JSON.parse(r.stdout).changes).toHaveLength(600);
    }
  });
});
