import { BlockList, isIP } from 'node:net';

/** The configured trusted proxies: the entries as given (validated) and a matcher. */
export interface TrustedProxies {
  entries: string[];
  matches(address: string): boolean;
}

/** At most this many X-Forwarded-For hops are examined (a longer chain is forged or broken). */
const MAX_FORWARDED_HOPS = 16;

/**
 * Parses TRUSTED_PROXIES: comma-separated IPv4/IPv6 addresses and CIDRs (`10.0.0.0/8`,
 * `fd00::/8`, `127.0.0.1`). Throws naming the first bad entry.
 */
export function parseTrustedProxies(text: string): TrustedProxies {
  const list = new BlockList();
  const entries: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [address, bits, extra] = entry.split('/');
    const family = isIP(address);
    const max = family === 4 ? 32 : 128;
    if (family === 0 || extra !== undefined || (bits !== undefined && (!/^\d{1,3}$/.test(bits) || Number(bits) > max))) {
      throw new Error(`must list IP addresses or CIDRs (such as 10.0.0.0/8, 127.0.0.1, fd00::/8), separated by commas; "${entry}" is neither`);
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address, type);
    else list.addSubnet(address, Number(bits), type);
    entries.push(entry);
  }
  return { entries, matches: (address: string) => matchesList(list, address) };
}

function matchesList(list: BlockList, address: string): boolean {
  const plain = unmapped(address);
  const family = isIP(plain);
  return family !== 0 && list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
}

/** `::ffff:1.2.3.4` (an IPv4 peer on a dual-stack socket) as `1.2.3.4`. */
export function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/**
 * The client's address as the node should believe it: the peer itself, unless the peer is a
 * trusted proxy; then X-Forwarded-For is read from the right, skipping trusted hops, and the first
 * untrusted address is the client. An untrusted peer's X-Forwarded-For is ignored (anyone can send one).
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | string[] | undefined, trusted: TrustedProxies | undefined): string {
  const direct = unmapped(peer ?? 'unknown');
  if (forwardedFor === undefined || trusted === undefined || !trusted.matches(direct)) return direct;
  const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  let client = direct;
  for (let i = hops.length - 1, seen = 0; i >= 0 && seen < MAX_FORWARDED_HOPS; i -= 1, seen += 1) {
    const hop = unmapped(hops[i].trim());
    if (isIP(hop) === 0) return client;
    client = hop;
    if (!trusted.matches(hop)) return hop;
  }
  return client;
}

/**
 * What a per-address limit counts: an IPv4 address, or the /64 network of an IPv6 address (one
 * subscriber usually holds a whole /64, so counting single IPv6 addresses would be no limit at all).
 */
export function addressKey(address: string): string {
  // Called for every counted request: an IPv4 address (no colon) needs no parsing.
  if (!address.includes(':') || isIP(address) !== 6) return address;
  const [head, tail = ''] = address.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === '' ? [] : tail.split(':');
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
