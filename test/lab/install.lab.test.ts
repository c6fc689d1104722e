// The Debian package, installed the way a user would (apt install ./nethost_VERSION_ARCH.deb), in
// the kernel lab guest: its root is this machine's / under a throwaway overlay, so the install, the
// removal and the purge touch nothing real. nethost runs with every node binary hidden (bound over
// by an empty, non-executable file in a mount namespace of its own), so the package must carry its
// runtime. The .deb is built on the host before the lab boots (test/run-all.sh: npm run build:deb);
// a missing one fails here. Run: bash test/lab/run.sh test/lab/install.lab.test.ts
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireLab } from './guard.js';
import { deleteAllNetns, ipJson, newNetns, tempFile } from '../helpers/netns.js';

requireLab();
afterAll(() => deleteAllNetns());

const ROOT = resolve(import.meta.dirname, '..', '..');
const version: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const debVersion = version.replace('-', '~');
const DEB = join(ROOT, 'dist', `nethost_${debVersion}_${process.arch === 'x64' ? 'amd64' : process.arch}.deb`);
// What a root shell has, and no more: the commands nethost runs (ip, sysctl, setpriv, flock) live there.
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

function run(cmd: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { PATH, LC_ALL: 'C', HOME: '/root', ...env } });
}
const must = (r: SpawnSyncReturns<string>, what: string) => {
  expect(r.error, `${what}: ${r.error}`).toBeUndefined();
  expect(r.status, `${what} failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r;
};
const apt = (...args: string[]) =>
  must(run('apt', ['-y', '-q', ...args], { DEBIAN_FRONTEND: 'noninteractive' }), `apt ${args.join(' ')}`);
// biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format
const status = () => run('dpkg-query', ['-W', '-f=${Status}', 'nethost']).stdout;

// Every node this guest could start, by any name a program might look for: the one running vitest
// and whatever `node`/`nodejs` the usual directories hold.
const nodes = [
  ...new Set(
    [
      process.execPath,
      ...['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].flatMap((d) => [
        join(d, 'node'),
        join(d, 'nodejs'),
      ]),
    ]
      .filter((p) => existsSync(p))
      .map((p) => realpathSync(p)),
  ),
];
const stub = tempFile('no-node', ''); // empty and mode 0644: exec of anything bound to it fails

/** argv in a mount namespace of its own where every node binary is the empty stub, with PATH. */
function withoutNode(argv: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> {
  // The script is fixed; the paths and the command come in as its arguments, never as shell text.
  const script =
    'stub=$1; n=$2; shift 2; while [ "$n" -gt 0 ]; do mount --bind "$stub" "$1" || exit 125; shift; n=$((n - 1)); done; exec "$@"';
  return run(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      script,
      'sh',
      stub,
      String(nodes.length),
      ...nodes,
      ...argv,
    ],
    env,
  );
}

let files: string[] = [];

beforeAll(() => {
  expect(status(), 'nethost must not be installed on the machine the lab guest shares').not.toMatch(/installed/);
  // man-db's trigger re-indexes the manual pages on every install and removal: minutes under the
  // guest's emulation. man finds a page by its path without that index, so the guest turns it off
  // (the flag file debconf's man-db/auto-update=false removes; this root is thrown away).
  rmSync('/var/lib/man-db/auto-update', { force: true });
});
// dpkg reads its whole database (1000+ files over 9p) on each run, and the 85 MB executable is
// unpacked under emulation: about a minute per apt command on an idle host, twice that when busy.
const APT_TIMEOUT = 900_000;

describe('the Debian package in a throwaway root', () => {
  it(
    'apt install ./nethost_VERSION_ARCH.deb installs it offline, its dependencies being there already',
    () => {
      // A failed test, not a skipped file, so that the suite's count says so (and every test after fails).
      expect(
        existsSync(DEB),
        `${DEB} is missing: npm run build:deb builds it on the host before the lab boots (test/run-all.sh does); the guest cannot build it`,
      ).toBe(true);
      apt('install', DEB);
      expect(status()).toBe('install ok installed');
      files = must(run('dpkg', ['-L', 'nethost']), 'dpkg -L')
        .stdout.trim()
        .split('\n');
      expect(files).toEqual(
        expect.arrayContaining([
          '/usr/bin/nethost',
          '/usr/share/man/man1/nethost.1.gz',
          '/usr/share/man/man5/nethost.yaml.5.gz',
          '/usr/share/nethost/nethost.schema.json',
          '/usr/share/doc/nethost/copyright',
          '/usr/share/doc/nethost/changelog.gz',
          '/etc/nethost',
          '/etc/nethost/README',
        ]),
      );
      expect(readFileSync('/usr/share/nethost/nethost.schema.json', 'utf8')).toBe(
        readFileSync(join(ROOT, 'schema', 'nethost.schema.json'), 'utf8'),
      );
      const fields = must(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format
        run('dpkg-query', ['-W', '-f=${Depends}\n${Recommends}\n${Suggests}', 'nethost']),
        'dpkg-query',
      ).stdout.split('\n');
      expect(fields[0]).toMatch(/\biproute2\b/);
      expect(fields[1]).toBe('nftables');
      expect(fields[2]).toBe('openvswitch-switch');
    },
    APT_TIMEOUT,
  );

  it("with no node reachable, nethost --version answers as the repo's bin/run.js does", () => {
    expect(nodes.length, 'found the node binaries to hide').toBeGreaterThan(0);
    // The control: in that mount namespace node itself cannot start, by path or by name.
    for (const argv of [
      ['node', '-e', '0'],
      [process.execPath, '-e', '0'],
      ['sh', '-c', 'command -v node && exit 0; exit 127'],
    ]) {
      const r = withoutNode(argv);
      expect(r.status, `${argv.join(' ')} ran: ${r.stdout}${r.stderr}`).not.toBe(0);
      expect(r.status).not.toBe(125);
    }
    const r = withoutNode(['nethost', '--version']);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    const want = spawnSync(process.execPath, [join(ROOT, 'bin', 'run.js'), '--version'], { encoding: 'utf8' }).stdout;
    expect(r.stdout).toBe(want);
    expect(r.stdout).toMatch(new RegExp(`^nethost/${version.replace(/\./g, '\\.')} `));
    expect(must(run('readlink', ['-f', '/usr/bin/nethost']), 'readlink').stdout.trim()).toBe('/usr/bin/nethost');
  });

  it("man nethost and man 5 nethost.yaml show the package's pages", () => {
    expect(existsSync('/usr/share/man/man1/nethost.1.gz')).toBe(true);
    expect(existsSync('/usr/share/man/man5/nethost.yaml.5.gz')).toBe(true);
    // man-db is part of this machine's image; without it only the files could be checked.
    expect(existsSync('/usr/bin/man'), 'man-db (man) is installed').toBe(true);
    expect(must(withoutNode(['man', '-w', 'nethost']), 'man -w nethost').stdout.trim()).toBe(
      '/usr/share/man/man1/nethost.1.gz',
    );
    expect(must(withoutNode(['man', '-w', '5', 'nethost.yaml']), 'man -w 5 nethost.yaml').stdout.trim()).toBe(
      '/usr/share/man/man5/nethost.yaml.5.gz',
    );
    // A UTF-8 locale, as a user's: the pages use characters (…, →) that groff's ASCII device lacks.
    const man = (...args: string[]) =>
      withoutNode(['man', '-P', 'cat', ...args], { MANWIDTH: '80', LC_ALL: 'C.UTF-8' });
    const page = man('nethost');
    expect({ status: page.status, stderr: page.stderr }).toEqual({ status: 0, stderr: '' });
    expect(page.stdout).toMatch(/^NAME\n\s+nethost - /m);
    expect(page.stdout).toMatch(/drift-check/);
    const yaml = man('5', 'nethost.yaml');
    expect({ status: yaml.status, stderr: yaml.stderr }).toEqual({ status: 0, stderr: '' });
    expect(yaml.stdout).toMatch(/^NAME\n\s+nethost\.yaml - /m);
  });

  it('with no node reachable, nethost validates, plans, applies and checks a small file in a namespace of its own', () => {
    const ns = newNetns('inst');
    const file = tempFile(
      'host.yaml',
      'version: 1\ninterfaces:\n  br0: {kind: bridge, ports: [dummy0], addresses: [192.0.2.1/24]}\n  dummy0: {kind: dummy}\n',
    );
    expect(must(withoutNode(['nethost', 'validate', file]), 'validate').stdout).toMatch(/valid \(\d+ resources\)/);
    const plan = withoutNode(['nethost', 'plan', file, '--netns', ns]);
    expect({ status: plan.status, stderr: plan.stderr }).toEqual({ status: 2, stderr: '' });
    expect(plan.stdout).toMatch(/\+ bridge br0/);
    expect(plan.stdout).toMatch(/\+ dummy dummy0/);
    expect(plan.stdout).toMatch(/\+ address 192\.0\.2\.1\/24 on br0/);
    must(withoutNode(['nethost', 'apply', file, '--netns', ns, '--yes']), 'apply');
    const live = new Map(ipJson<any[]>(ns, '-d', 'link', 'show').map((l) => [l.ifname, l]));
    expect(live.get('br0')?.linkinfo?.info_kind).toBe('bridge');
    expect(live.get('dummy0')?.master).toBe('br0');
    expect(must(withoutNode(['nethost', 'drift-check', file, '--netns', ns]), 'drift-check').stdout).toBe('');
  });

  it(
    'apt remove leaves nothing of it but /etc/nethost; apt purge takes that too',
    () => {
      expect(files.length, 'the install test ran').toBeGreaterThan(0);
      writeFileSync('/etc/nethost/host.yaml', 'version: 1\n'); // the administrator's own file
      apt('remove', 'nethost');
      expect(status()).toBe('deinstall ok config-files');
      const left = files.filter((f) => existsSync(f) && !sharedDirectory(f));
      expect(left).toEqual(['/etc/nethost', '/etc/nethost/README']);
      for (const gone of ['/usr/bin/nethost', '/usr/share/nethost', '/usr/share/doc/nethost', '/run/nethost'])
        expect(existsSync(gone), gone).toBe(false);
      expect(readdirSync('/etc/nethost').sort()).toEqual(['README', 'host.yaml']);

      apt('purge', 'nethost');
      expect(status()).not.toMatch(/installed|config-files/);
      expect(existsSync('/etc/nethost')).toBe(false);
      expect(files.filter((f) => existsSync(f) && !sharedDirectory(f))).toEqual([]);
    },
    2 * APT_TIMEOUT,
  );
});

/** A directory other packages' files are in (/usr/bin, /usr/share/man/man1...): it stays. */
function sharedDirectory(path: string): boolean {
  try {
    return !path.startsWith('/etc/nethost') && readdirSync(path).length > 0;
  } catch {
    return false; // not a directory
  }
}
