import { CLIENT_NONCE_WINDOW_MS, clientNonceTime } from '../../protocol/index.ts';
import { randomSecret } from '../pairing/codes.ts';
import type { Store } from '../store/store.ts';

export interface NonceService {
  /** A fresh single-use nonce valid for `ttlMs` (60 s). */
  issue(): Promise<{ nonce: string; expiresAt: number }>;
  /**
   * `ok` exactly once per issued, unexpired nonce, and once per client nonce (protocol/token-nonce.ts)
   * whose clock is within CLIENT_NONCE_WINDOW_MS of ours; `clock` for a client nonce outside that
   * window (the caller's clock is off: no attack signal); `refused` otherwise.
   */
  consume(nonce: string): Promise<'ok' | 'clock' | 'refused'>;
}

/** Single-use nonces in the store (so any instance can check one issued by another). */
export function createNonceService(store: Store, now: () => number, ttlMs = 60_000): NonceService {
  return {
    async issue() {
      const nonce = randomSecret(18);
      await store.put('token-nonce', nonce, true, ttlMs);
      return { nonce, expiresAt: now() + ttlMs };
    },
    async consume(nonce) {
      const t = clientNonceTime(nonce);
      if (t === undefined) return (await store.swap('token-nonce', nonce, true, undefined)) ? 'ok' : 'refused';
      if (Math.abs(now() - t) > CLIENT_NONCE_WINDOW_MS) return 'clock';
      // Remembered for the whole window on both sides of its time, so it cannot be used twice.
      return (await store.create('token-nonce-used', nonce, true, 2 * CLIENT_NONCE_WINDOW_MS)) ? 'ok' : 'refused';
    },
  };
}
