import { randomSecret } from '../pairing/codes.ts';
import type { Store } from '../store/store.ts';

export interface NonceService {
  /** A fresh single-use nonce valid for `ttlMs` (60 s). */
  issue(): Promise<{ nonce: string; expiresAt: number }>;
  /** True exactly once per issued, unexpired nonce. */
  consume(nonce: string): Promise<boolean>;
}

/** Single-use nonces in the store (so any instance can check one issued by another). */
export function createNonceService(store: Store, now: () => number, ttlMs = 60_000): NonceService {
  return {
    async issue() {
      const nonce = randomSecret(18);
      await store.put('token-nonce', nonce, true, ttlMs);
      return { nonce, expiresAt: now() + ttlMs };
    },
    consume: (nonce) => store.swap('token-nonce', nonce, true, undefined),
  };
}
