import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PAIRING_LIMITS, createPairingService } from '../../server/pairing/pairing-service.ts';
import { PAIRING_CODE_SPACE } from '../../server/pairing/redeem-limits.ts';
import { createMemoryStore } from '../../server/store/memory-store.ts';
import { requestFrom } from '../helpers/http-from.ts';
import { keyedToken } from '../helpers/keyed-token.ts';
import { startServer, type Runtime, type ServerProcess } from '../helpers/server-process.ts';

const ADMIN = 'admin-key-pairing-limits-0001';

const postFrom = (server: ServerProcess, localAddress: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
  requestFrom(`${server.url}${path}`, localAddress, 'POST', body, headers);

/** The i-th of a deterministic sequence of 6-digit codes, skipping the real ones. */
const wrong = (real: string | string[], i: number) => {
  for (let n = i; ; n += 1_000) {
    const guess = String(n % PAIRING_CODE_SPACE).padStart(6, '0');
    if (!([] as string[]).concat(real).includes(guess)) return guess;
  }
};

describe('pairing attempt limits: per code and per address, no shared bucket', () => {
  it('a guesser cannot win against one code with more than 0.1 % chance over its life (computed from the limits)', () => {
    // Every attempt at a 6-digit code is charged to every live code, and a code answers at most
    // attemptsPerCode attempts, so at most that many of the 10^6 values are ever tried against it.
    const chance = DEFAULT_PAIRING_LIMITS.attemptsPerCode / PAIRING_CODE_SPACE;
    expect(chance).toBeLessThanOrEqual(0.001);
  });

  it('a code answers exactly attemptsPerCode attempts from any number of addresses, then is closed and says so', async () => {
    const now = () => 1_800_000_000_000;
    const limits = { attemptsPerCode: 40, perAddressPerMinute: 5 };
    const pairing = createPairingService({ store: createMemoryStore(now), now, onRevoke: async () => undefined, limits });
    const lucky = (await pairing.createCode('default', 'agent')).code;
    const unlucky = (await pairing.createCode('default', 'agent')).code;
    // 39 wrong guesses, each from a new address: both codes have one attempt left.
    for (let i = 0; i < 39; i++) {
      await expect(pairing.redeem(wrong([lucky, unlucky], i), 'x', `10.0.${i}.1`)).rejects.toMatchObject({ code: 'invalid-code' });
    }
    // The 40th attempt is the holder of `lucky`: it is still within the budget.
    expect((await pairing.redeem(lucky, 'holder', '10.1.0.1')).status).toBe('pending');
    // That attempt also spent `unlucky`'s last unit: its holder is told the code was closed.
    await expect(pairing.redeem(unlucky, 'holder-2', '10.1.0.2')).rejects.toMatchObject({ status: 410, code: 'code-exhausted' });
  });
});

describe.each<Runtime>(['node', 'deno'])('pairing brute force against a real server (%s)', (runtime) => {
  let server: ServerProcess;
  let proxied: ServerProcess;
  beforeAll(async () => {
    const env = { TABMESH_API_KEYS: `admin:${ADMIN}` };
    [server, proxied] = await Promise.all([startServer({ runtime, env }), startServer({ runtime, env: { ...env, TABMESH_TRUST_PROXY: '127.0.0.1/32' } })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([server?.stop(), proxied?.stop()]);
  });

  const newCode = async (s: ServerProcess) => {
    const { token } = await keyedToken(s.url, ADMIN);
    const res = await fetch(`${s.url}/api/pairing/codes`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { code: string }).code;
  };

  it('wrong guesses from 60 loopback addresses do not lock out the holder, who redeems on the first try', async () => {
    const code = await newCode(server);
    for (let a = 0; a < 60; a++) {
      const statuses = [];
      for (let i = 0; i < 6; i++) statuses.push((await postFrom(server, `127.0.0.${a + 2}`, '/api/pairing/redeem', { code: wrong(code, a * 6 + i), name: 'x' })).status);
      // Five attempts a minute from one address; the sixth is refused before any code is checked.
      expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    }
    const holder = await postFrom(server, '127.0.0.200', '/api/pairing/redeem', { code, name: 'holder' });
    expect(holder).toMatchObject({ status: 201, body: { status: 'pending' } });
  });

  it('X-Forwarded-For counts only from a trusted proxy (TABMESH_TRUST_PROXY)', async () => {
    // Untrusted: a client that writes its own X-Forwarded-For still counts as its socket address.
    const spoofed = [];
    for (let i = 0; i < 6; i++) {
      spoofed.push((await postFrom(server, '127.0.1.1', '/api/pairing/redeem', { code: '000000', name: 'x' }, { 'x-forwarded-for': `198.51.100.${i}` })).status);
    }
    expect(spoofed).toEqual([404, 404, 404, 404, 404, 429]);
    // The operator is told once that a proxy seems to be in front and is not trusted.
    expect(server.stderr.filter((l) => l.includes('TABMESH_TRUST_PROXY is not set'))).toHaveLength(1);

    // Trusted proxy at 127.0.0.1: the client is the address it forwards, so 60 clients behind
    // one proxy each get their own limit, and the holder is not locked out by them.
    const code = await newCode(proxied);
    for (let a = 0; a < 60; a++) {
      const statuses = [];
      for (let i = 0; i < 6; i++) {
        const headers: Record<string, string> = a % 2 ? { forwarded: `for="[2001:db8:${a}::1]:4711"` } : { 'x-forwarded-for': `203.0.113.${a}, 127.0.0.1` };
        statuses.push((await postFrom(proxied, '127.0.0.1', '/api/pairing/redeem', { code: wrong(code, a * 6 + i), name: 'x' }, headers)).status);
      }
      expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
    }
    const holder = await postFrom(proxied, '127.0.0.1', '/api/pairing/redeem', { code, name: 'holder' }, { 'x-forwarded-for': '192.0.2.77' });
    expect(holder).toMatchObject({ status: 201, body: { status: 'pending' } });
    expect(proxied.stderr.filter((l) => l.includes('TABMESH_TRUST_PROXY'))).toEqual([]);
  });
});
