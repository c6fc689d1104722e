import type { Resource } from '../model.js';

/** How a person names a resource: "bridge br0", "route to 0.0.0.0/0 (table 254)". */
export function describe(r: Resource): string {
  switch (r.kind) {
    case 'address':
      return `address ${r.attrs.peer ? `${String(r.attrs.address).split('/')[0]} peer ${r.attrs.peer}` : r.attrs.address} on ${r.attrs.dev}`;
    case 'route':
      return `route ${r.attrs.dst === '0.0.0.0/0' || r.attrs.dst === '::/0' ? 'default' : r.attrs.dst}${r.attrs.table === 254 ? '' : ` table ${r.attrs.table}`}${String(r.attrs.dst).includes(':') ? ' (IPv6)' : ''}`;
    case 'rule':
      return `rule ${r.attrs.priority}`;
    case 'neighbor':
      return `neighbour ${r.attrs.to} on ${r.attrs.dev}`;
    case 'sysctl':
      return `sysctl ${r.attrs.key}`;
    case 'ovs-port':
      return `OVS port ${r.id.slice(9)}${r.attrs.bridge ? ` on ${r.attrs.bridge}` : ''}`;
    case 'ovs-device':
      return `kernel device of OVS bridge ${r.id.slice(11)}`;
    case 'firewall':
      return 'firewall (nft tables inet nethost, bridge nethost)';
    default:
      return `${r.kind} ${r.id.slice(r.id.indexOf(':') + 1)}`;
  }
}

