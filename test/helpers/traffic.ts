// Traffic between test namespaces: a TCP listener that answers each connection with the peer's
// address (what the server sees), a client that prints that answer, raw Ethernet frames, and nft
// run inside a namespace (never in the root one).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';

const PY = 'python3';

export function nft(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, 'nft', ...args], {
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}
export function nftScript(ns: string, script: string): void {
  execFileSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, encoding: 'utf8' });
}
/** A table as nft lists it, without counter values (stateless): for "byte for byte the same". */
export const tableText = (ns: string, family: string, name: string) => nft(ns, '-s', 'list', 'table', family, name);
/** The packets counted by the rules of a chain, in order. */
export function counters(ns: string, family: string, table: string, chain: string): number[] {
  const doc = JSON.parse(nft(ns, '-j', 'list', 'chain', family, table, chain));
  return doc.nftables
    .filter((o: any) => o.rule)
    .map((o: any) => o.rule.expr.find((e: any) => e.counter)?.counter.packets ?? 0);
}

const SERVER = `
import socket, sys
fam = socket.AF_INET6 if ':' in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen(16)
print('ready', flush=True)
while True:
    c, a = s.accept()
    c.sendall(a[0].encode())
    c.close()
`;

const started: ChildProcess[] = [];

/** Starts a listener in `ns` on port; resolves once it listens. Stopped by stopServers(). */
export function tcpServer(ns: string, port: number, addr = '0.0.0.0'): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, PY, '-c', SERVER, addr, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b) => String(b).includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`listener on ${ns}:${port} exited ${code}`)));
  });
}

export function stopServers() {
  for (const c of started.splice(0)) if (c.pid && c.exitCode === null) process.kill(c.pid, 'SIGKILL');
}

/** Connects from `ns`; the server's answer (the peer address it saw), or null if refused / no answer
 *  in time. A busy machine can lose a first try (a listener still starting, a SYN dropped while a
 *  table loads): up to `tries` attempts. A check that expects no answer passes tries = 1. */
export function tcpConnect(ns: string, host: string, port: number, timeoutS = 3, tries = 3): string | null {
  const code = `import socket, sys\nc = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3]))\nprint(c.recv(200).decode())`;
  for (let i = 0; i < tries; i++) {
    const r = spawnSync('ip', ['netns', 'exec', ns, PY, '-c', code, host, String(port), String(timeoutS)], {
      encoding: 'utf8',
    });
    if (r.status === 0) return r.stdout.trim();
  }
  return null;
}

/** Sends raw Ethernet frames (hex) out of `dev` in `ns`. */
export function sendFrames(ns: string, dev: string, framesHex: string[]) {
  const code = `import socket, sys\ns = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)\ns.bind((sys.argv[1], 0))\nfor h in sys.argv[2:]:\n    s.send(bytes.fromhex(h))`;
  execFileSync('ip', ['netns', 'exec', ns, PY, '-c', code, dev, ...framesHex]);
}

const mac = (m: string) => m.split(':').join('');
const ip4 = (a: string) =>
  a
    .split('.')
    .map((x) => Number(x).toString(16).padStart(2, '0'))
    .join('');

/** A broadcast IPv4/UDP frame (UDP checksum left out, which IPv4 allows). */
export function udpFrame(srcMac: string, srcIp: string, dstIp: string, dport: number): string {
  const udp = '1234' + dport.toString(16).padStart(4, '0') + '000c' + '0000' + '74657374';
  // A valid header checksum: a bridge with bridge-nf-call-iptables drops IPv4 frames without one.
  const words = ['4500', '0020', '0000', '4000', '4011', '0000', ...(ip4(srcIp) + ip4(dstIp)).match(/.{4}/g)!];
  let sum = words.reduce((a, w) => a + parseInt(w, 16), 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  words[5] = (~sum & 0xffff).toString(16).padStart(4, '0');
  const ipHdr = words.join('');
  return 'ffffffffffff' + mac(srcMac) + '0800' + ipHdr + udp;
}

/** A broadcast ARP request "who has target, tell senderIp (senderMac)" from ethSrc. */
export function arpFrame(ethSrc: string, senderMac: string, senderIp: string, targetIp: string): string {
  return (
    'ffffffffffff' +
    mac(ethSrc) +
    '0806' +
    '0001080006040001' +
    mac(senderMac) +
    ip4(senderIp) +
    '000000000000' +
    ip4(targetIp)
  );
}

const UDP_SERVER = `
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print('ready', flush=True)
while True:
    data, a = s.recvfrom(512)
    s.sendto(b'answer:' + data, a)
`;

/** A UDP server (a stand-in for DNS) that answers each datagram; stopped by stopServers(). */
export function udpServer(ns: string, port: number, addr = '0.0.0.0'): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, PY, '-c', UDP_SERVER, addr, String(port)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  started.push(child);
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (b) => String(b).includes('ready') && resolve());
    child.on('exit', (code) => reject(new Error(`udp server on ${ns}:${port} exited ${code}`)));
  });
}

/** A query from `ns`; the answer, or null if none came in time (up to `tries` queries: UDP may lose one). */
export function udpQuery(ns: string, host: string, port: number, timeoutS = 3, tries = 3): string | null {
  const code = `import socket, sys\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\ns.settimeout(float(sys.argv[3]))\ns.sendto(b'query', (sys.argv[1], int(sys.argv[2])))\nprint(s.recvfrom(512)[0].decode())`;
  for (let i = 0; i < tries; i++) {
    const r = spawnSync('ip', ['netns', 'exec', ns, PY, '-c', code, host, String(port), String(timeoutS)], {
      encoding: 'utf8',
    });
    if (r.status === 0) return r.stdout.trim();
  }
  return null;
}
