/**
 * The client's address, for per-client limits (pairing, unknown keys). Forwarding headers are
 * read only when `TABMESH_TRUST_PROXY` says the connection comes from a trusted proxy: anyone can
 * write `X-Forwarded-For`, so believing it from a direct client would let it pick a fresh address
 * for every guess.
 */
export type TrustProxy =
  | { kind: 'none' }
  /** That many proxies sit in front of the server, every one appending to the header. */
  | { kind: 'hops'; hops: number }
  /** Peers in these ranges are proxies; the client is the nearest address outside them. */
  | { kind: 'cidrs'; ranges: Cidr[] };

export interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

export const TRUST_PROXY_RULE = 'must be a hop count (0-10) or comma-separated CIDR ranges like 10.0.0.0/8, ::1/128';

/** Parses `TABMESH_TRUST_PROXY`; undefined when the value breaks `TRUST_PROXY_RULE`. */
export function parseTrustProxy(raw: string | undefined): TrustProxy | undefined {
  const value = raw?.trim() ?? '';
  if (value === '') return { kind: 'none' };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) return undefined;
    return hops === 0 ? { kind: 'none' } : { kind: 'hops', hops };
  }
  const ranges: Cidr[] = [];
  for (const part of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [addr = '', bits] = part.split('/');
    const bytes = ipBytes(addr);
    if (!bytes) return undefined;
    const max = bytes.length * 8;
    const prefix = bits === undefined ? max : /^\d+$/.test(bits) ? Number(bits) : NaN;
    if (!(prefix >= 0 && prefix <= max)) return undefined;
    ranges.push({ bytes, prefix });
  }
  return ranges.length ? { kind: 'cidrs', ranges } : undefined;
}

/**
 * `peer` is the socket's remote address. With a trusted proxy in front, walks the forwarding
 * chain from the right (the hop nearest to us) and returns the first address not vouched for.
 */
export function clientAddress(peer: string, headers: { get(name: string): string | null | undefined }, trust: TrustProxy): string {
  const direct = normalise(peer);
  if (trust.kind === 'none') return direct;
  if (trust.kind === 'cidrs' && !inRanges(direct, trust.ranges)) return direct;
  const forwarded = forwardedChain(headers);
  const chain = [...forwarded, direct];
  if (trust.kind === 'hops') return chain[Math.max(0, chain.length - 1 - trust.hops)]!;
  let i = chain.length - 1;
  while (i > 0 && inRanges(chain[i]!, trust.ranges)) i -= 1;
  return chain[i]!;
}

/** The key a per-client limit counts under: IPv6 by /64 (one host usually owns a whole /64). */
export function limitKey(address: string): string {
  const bytes = address.includes(':') ? ipBytes(address) : undefined;
  if (!bytes || bytes.length !== 16) return address;
  const words = [];
  for (let i = 0; i < 8; i += 2) words.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  return `${words.join(':')}::/64`;
}

/** `Forwarded: for=…` (RFC 7239) when present, else `X-Forwarded-For`; leftmost first. */
function forwardedChain(headers: { get(name: string): string | null | undefined }): string[] {
  const rfc = headers.get('forwarded');
  if (rfc) {
    const fors = rfc.split(',').map((element) => /(?:^|;)\s*for=("[^"]*"|[^;,\s]*)/i.exec(element)?.[1]);
    return fors.map((f) => normalise(stripPort((f ?? 'unknown').replace(/^"|"$/g, ''))));
  }
  const xff = headers.get('x-forwarded-for');
  return xff ? xff.split(',').map((s) => normalise(stripPort(s.trim()))).filter(Boolean) : [];
}

function stripPort(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1]!;
  // One colon: IPv4 with a port. More than one: a bare IPv6 address.
  return /^[^:]+:\d+$/.test(host) ? host.slice(0, host.indexOf(':')) : host;
}

/** IPv4-mapped IPv6 (`::ffff:1.2.3.4`, what Node reports on a dual-stack socket) reads as IPv4. */
function normalise(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return (mapped ? mapped[1]! : address).toLowerCase();
}

function inRanges(address: string, ranges: Cidr[]): boolean {
  const bytes = ipBytes(address);
  return bytes !== undefined && ranges.some((r) => r.bytes.length === bytes.length && samePrefix(r.bytes, bytes, r.prefix));
}

function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  for (let i = 0; i * 8 < bits; i++) {
    const mask = bits - i * 8 >= 8 ? 0xff : (0xff << (8 - (bits - i * 8))) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}

/** 4 bytes for IPv4, 16 for IPv6; undefined for anything else. */
export function ipBytes(address: string): Uint8Array | undefined {
  const addr = normalise(address);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(addr);
  if (v4) {
    const parts = v4.slice(1).map(Number);
    return parts.every((p) => p <= 255) ? Uint8Array.from(parts) : undefined;
  }
  if (!/^[0-9a-f:]+$/.test(addr) || addr.split('::').length > 2) return undefined;
  const [head = '', tail] = addr.split('::');
  const words = (s: string) => (s === '' ? [] : s.split(':'));
  const left = words(head);
  const right = tail === undefined ? [] : words(tail);
  const missing = 8 - left.length - right.length;
  if (tail === undefined ? missing !== 0 : missing < 1) return undefined;
  const all = [...left, ...Array<string>(tail === undefined ? 0 : missing).fill('0'), ...right];
  if (all.some((w) => !/^[0-9a-f]{1,4}$/.test(w))) return undefined;
  const out = new Uint8Array(16);
  all.forEach((w, i) => {
    const n = parseInt(w, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  });
  return out;
}

/**
 * True when the request reached us over HTTPS: our own TLS (`url` is https:), or a trusted proxy
 * that says so in `X-Forwarded-Proto` / `Forwarded: proto=` (the value the nearest proxy wrote).
 */
export function arrivedOverHttps(url: string, peer: string, headers: { get(name: string): string | null | undefined }, trust: TrustProxy): boolean {
  if (url.startsWith('https:')) return true;
  if (trust.kind === 'none' || (trust.kind === 'cidrs' && !inRanges(normalise(peer), trust.ranges))) return false;
  const rfc = headers.get('forwarded');
  const proto = rfc
    ? /(?:^|;)\s*proto=("?)([a-z]+)\1/i.exec(rfc.split(',').at(-1) ?? '')?.[2]
    : headers.get('x-forwarded-proto')?.split(',').at(-1)?.trim();
  return proto?.toLowerCase() === 'https';
}
