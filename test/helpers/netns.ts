// Test namespaces: uniquely named, always deleted (afterEach / afterAll), never the root namespace.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const created = new Set<string>();
let counter = 0;

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
export function ipJson<T = any>(ns: string, ...args: string[]): T {
  return JSON.parse(ip('-n', ns, '-j', ...args) || '[]');
}

export function newNetns(tag: string): string {
  const name = `nht-${tag}-${process.pid % 100000}-${counter++}`;
  ip('netns', 'add', name);
  created.add(name);
  return name;
}

export function deleteNetns(name: string) {
  if (!created.has(name)) return;
  spawnSync('ip', ['netns', 'del', name]);
  created.delete(name);
}

export function deleteAllNetns() {
  for (const n of [...created]) deleteNetns(n);
}

/** Creates, inside `ns`, the existing devices a file declares as `kind: ethernet` (veth ends whose
 *  peers live in a sibling namespace), as a host's NICs would be there before nethost runs. Those a
 *  namespace has anyway (lo) are left as they are. */
export function provideEthernets(ns: string, file: string, peerNs = newNetns('peer')): string {
  const doc = parse(readFileSync(file, 'utf8'));
  const present = new Set(ipJson<any[]>(ns, 'link', 'show').map((l) => l.ifname));
  let i = 0;
  for (const [name, entry] of Object.entries<any>(doc.interfaces ?? {})) {
    if (entry.kind !== 'ethernet' || present.has(name)) continue;
    ip('-n', ns, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `p${i++}`, 'netns', peerNs);
  }
  return peerNs;
}

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function nethost(...args: string[]): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
}

export function tempFile(name: string, text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'nethost-test-'));
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

/** Links of a namespace by name, from `ip -j -d link` (read directly, not through nethost). */
export function links(ns: string): Map<string, any> {
  return new Map(ipJson<any[]>(ns, '-d', 'link', 'show').map((l) => [l.ifname, l]));
}

/** A new namespace plugged into `ns` by a veth pair (`dev` in `ns`, `peerDev` in the new one), its
 *  end up with `addr` and a default route via `gw` when given: a client, server or VM behind a
 *  router or bridge port that a test builds. */
export function hostBehind(
  ns: string,
  dev: string,
  tag: string,
  opts: { addr?: string; gw?: string; peerDev?: string; mac?: string } = {},
): string {
  const peer = newNetns(tag);
  const peerDev = opts.peerDev ?? 'eth0';
  ip('-n', ns, 'link', 'add', dev, 'type', 'veth', 'peer', 'name', peerDev, 'netns', peer);
  ip('-n', peer, 'link', 'set', 'lo', 'up');
  if (opts.mac) ip('-n', peer, 'link', 'set', peerDev, 'address', opts.mac);
  if (opts.addr) ip('-n', peer, 'addr', 'add', opts.addr, 'dev', peerDev);
  ip('-n', peer, 'link', 'set', peerDev, 'up');
  if (opts.gw) ip('-n', peer, 'route', 'add', 'default', 'via', opts.gw);
  return peer;
}
