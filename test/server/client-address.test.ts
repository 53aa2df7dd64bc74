import { describe, expect, it } from 'vitest';
import { clientAddress, limitKey, parseTrustProxy, type TrustProxy } from '../../server/http/client-address.ts';

const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n] });
const trust = (raw: string) => parseTrustProxy(raw)!;

describe('client address behind TABMESH_TRUST_PROXY', () => {
  it('ignores forwarding headers unless a proxy is trusted', () => {
    expect(clientAddress('::ffff:127.0.0.5', headers({ 'x-forwarded-for': '198.51.100.1' }), { kind: 'none' } as TrustProxy)).toBe('127.0.0.5');
    // A CIDR list trusts only peers inside it.
    expect(clientAddress('192.0.2.9', headers({ 'x-forwarded-for': '198.51.100.1' }), trust('10.0.0.0/8'))).toBe('192.0.2.9');
  });

  it('walks X-Forwarded-For from the right past trusted proxies only', () => {
    const h = headers({ 'x-forwarded-for': '203.0.113.7, 198.51.100.1, 10.1.2.3' });
    expect(clientAddress('10.0.0.1', h, trust('10.0.0.0/8'))).toBe('198.51.100.1');
    expect(clientAddress('10.0.0.1', h, trust('1'))).toBe('10.1.2.3');
    expect(clientAddress('10.0.0.1', h, trust('2'))).toBe('198.51.100.1');
    // More hops than entries: the leftmost entry (never beyond the chain).
    expect(clientAddress('10.0.0.1', h, trust('9'))).toBe('203.0.113.7');
  });

  it('prefers RFC 7239 Forwarded, with quoted IPv6 and ports', () => {
    const h = headers({ forwarded: 'for="[2001:db8::17]:4711";proto=https, for=10.0.0.2', 'x-forwarded-for': '1.1.1.1' });
    expect(clientAddress('::1', h, trust('::1/128, 10.0.0.0/8'))).toBe('2001:db8::17');
  });

  it('counts IPv6 clients per /64', () => {
    expect(limitKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(limitKey('2001:db8:1:2:bbbb::9')).toBe(limitKey('2001:db8:1:2:aaaa::1'));
    expect(limitKey('192.0.2.1')).toBe('192.0.2.1');
  });

  it('refuses values that are neither a hop count nor CIDR ranges', () => {
    for (const bad of ['11', '-1', '10.0.0.0/33', '::1/129', 'proxy.example', '1.2.3', '1::2::3']) expect(parseTrustProxy(bad)).toBeUndefined();
    expect(parseTrustProxy('0')).toEqual({ kind: 'none' });
    expect(parseTrustProxy('127.0.0.1, fd00::/8')).toMatchObject({ kind: 'cidrs' });
  });
});
