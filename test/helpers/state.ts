// A namespace's state as the kernel reports it (read with `ip -j` directly, never through nethost),
// field by field and marks included, for "exactly as before" assertions.
import { execFileSync } from 'node:child_process';
import { ipJson } from './netns.js';

/** nethost's nft tables as nft lists them, without counter values (read with nft directly). */
export function nftTables(ns: string): string {
  const tables = execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => / nethost$/.test(l));
  return tables
    .map((t) => execFileSync('ip', ['netns', 'exec', ns, 'nft', '-s', 'list', ...t.split(' ')], { encoding: 'utf8' }))
    .join('');
}

export function kernelState(ns: string) {
  const links = ipJson<any[]>(ns, '-d', 'link', 'show')
    .map(
      (l) =>
        `${l.ifname} kind=${l.linkinfo?.info_kind ?? ''} alias=${JSON.stringify(l.ifalias ?? null)} master=${l.master ?? ''} up=${l.flags.includes('UP')} mtu=${l.mtu}`,
    )
    .sort();
  const addrs = ipJson<any[]>(ns, 'addr', 'show')
    .flatMap((l) =>
      (l.addr_info ?? [])
        .filter((a: any) => !(a.family === 'inet6' && a.scope === 'link'))
        .map(
          (a: any) => `${l.ifname} ${a.local}${a.address ? ` peer ${a.address}` : ''}/${a.prefixlen} scope=${a.scope}`,
        ),
    )
    .sort();
  const route = (r: any) =>
    `${r.type ?? 'unicast'} ${r.dst} table=${r.table ?? 'main'} via=${r.gateway ?? ''} dev=${r.dev ?? ''} proto=${r.protocol ?? ''} metric=${r.metric ?? ''}`;
  const routes = [
    ...ipJson<any[]>(ns, '-4', 'route', 'show', 'table', 'all'),
    ...ipJson<any[]>(ns, '-6', 'route', 'show', 'table', 'all'),
  ]
    .filter(
      (r) =>
        r.table !== 'local' &&
        !String(r.dst).startsWith('fe80:') &&
        !String(r.dst).startsWith('ff00:') &&
        r.type !== 'multicast',
    )
    .map(route)
    .sort();
  const rules = [...ipJson<any[]>(ns, '-4', 'rule', 'show'), ...ipJson<any[]>(ns, '-6', 'rule', 'show')]
    .map((r) => `${r.priority} ${r.src ?? ''} ${r.fwmark ?? ''} ${r.table ?? r.action ?? ''} proto=${r.protocol ?? ''}`)
    .sort();
  const neighbors = ipJson<any[]>(ns, 'neigh', 'show', 'nud', 'permanent')
    .map((n) => `${n.dst} dev=${n.dev} lladdr=${n.lladdr ?? ''} proto=${n.protocol ?? ''}`)
    .sort();
  return { links, addrs, routes, rules, neighbors, nft: nftTables(ns) };
}
