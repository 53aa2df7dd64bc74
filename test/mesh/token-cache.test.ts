import { describe, expect, it } from 'vitest';
import type { TokenResponse } from '../../protocol/index.ts';
import { createTokenCache } from '../../web/mesh/signaling/token-source.ts';

/** An exchange issuing `jwt-1`, `jwt-2`, … valid `ttlMs` from the fake clock's time. */
function fakeExchange(clock: { t: number }, ttlMs: number) {
  let n = 0;
  const exchange = async (): Promise<TokenResponse> => {
    n++;
    return { token: `jwt-${n}`, expiresAt: clock.t + ttlMs, role: 'agent', mesh: 'default', peerId: 'k1' } as TokenResponse;
  };
  return { exchange, count: () => n };
}

describe('createTokenCache (the one caching rule)', () => {
  it('reuses a token in the first half of its lifetime, exchanges again after', async () => {
    const clock = { t: 1_000_000 };
    const ex = fakeExchange(clock, 60_000);
    const cache = createTokenCache(ex.exchange, () => clock.t);
    expect(await cache.getToken()).toBe('jwt-1');
    clock.t += 29_999;
    expect(await cache.getToken()).toBe('jwt-1');
    clock.t += 1;
    expect(await cache.getToken()).toBe('jwt-2');
    expect(ex.count()).toBe(2);
    expect(cache.last()?.token).toBe('jwt-2');
  });

  it('runs one exchange for concurrent callers, and a failed exchange is not cached', async () => {
    const clock = { t: 0 };
    const ex = fakeExchange(clock, 60_000);
    let fail = true;
    const cache = createTokenCache(async () => {
      if (fail) throw new Error('server down');
      return ex.exchange();
    }, () => clock.t);
    await expect(cache.getToken()).rejects.toThrow('server down');
    fail = false;
    const all = await Promise.all([cache.getToken(), cache.getToken(), cache.getToken()]);
    expect(all).toEqual(['jwt-1', 'jwt-1', 'jwt-1']);
    expect(ex.count()).toBe(1);
  });

  it('reset makes the next call exchange again, even early in the lifetime', async () => {
    const clock = { t: 0 };
    const ex = fakeExchange(clock, 60_000);
    const cache = createTokenCache(ex.exchange, () => clock.t);
    expect(await cache.getToken()).toBe('jwt-1');
    cache.reset();
    expect(await cache.getToken()).toBe('jwt-2');
    expect(await cache.getToken()).toBe('jwt-2');
    expect(ex.count()).toBe(2);
  });
});
