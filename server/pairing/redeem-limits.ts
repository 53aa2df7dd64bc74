import { limitKey } from '../http/client-address.ts';
import { HttpError } from '../http/http-error.ts';
import { PAIRING_CODE_PATTERN } from '../../protocol/index.ts';
import type { Store } from '../store/store.ts';

/** How many different 6-digit pairing codes exist. */
export const PAIRING_CODE_SPACE = 1_000_000;

export interface RedeemLimits {
  /** Redemption attempts per client address (IPv6: per /64) per minute. */
  perAddressPerMinute: number;
  /** Attempts a 6-digit code answers over its life before it is closed (`code-exhausted`). */
  attemptsPerCode: number;
}

interface Live { code: string; kind: 'code' | 'invite'; expiresAt: number }

/**
 * Pairing brute-force limits that strangers cannot turn into a lock-out.
 *
 * A wrong 6-digit guess names no code, so it cannot be charged to "the code it was aimed at".
 * Instead every attempt at a 6-digit code spends one unit of the budget of *every* 6-digit code
 * alive at that moment; a code whose budget is spent is closed and says so. So no code is ever
 * checked against more than `attemptsPerCode` guesses, and a guesser's chance against one code
 * over its whole life is at most attemptsPerCode / 1,000,000 (0.1 % by default), whatever the
 * number of addresses it guesses from. Locking a holder out now takes `attemptsPerCode` attempts
 * inside that code's 5 minutes, i.e. `attemptsPerCode / perAddressPerMinute / 5` addresses
 * (40 by default), instead of the 6 a shared 30-a-minute bucket took.
 */
export function createRedeemLimits(store: Store, now: () => number, limits: RedeemLimits) {
  return {
    /** Counts one attempt from `address`; 429 past the per-address limit. */
    async admit(address: string): Promise<void> {
      if ((await store.incr('pair-ip', limitKey(address), 60_000)) > limits.perAddressPerMinute) {
        throw new HttpError(429, 'too-many-attempts', `at most ${limits.perAddressPerMinute} pairing attempts per minute from one address; wait a minute`);
      }
    },
    /**
     * Charges this attempt to every live 6-digit code (after the caller looked `code` up, so a
     * code created meanwhile is charged too: conservative). Returns false when `code` itself
     * has just run out (the caller answers `code-exhausted`).
     */
    async charge(code: string): Promise<boolean> {
      if (!PAIRING_CODE_PATTERN.test(code)) return true;
      const t = now();
      const live = (await store.list<Live>('pair-code')).filter((r) => r.kind === 'code' && r.expiresAt > t);
      let survives = true;
      await Promise.all(live.map(async (r) => {
        const ttl = Math.max(1, r.expiresAt - t);
        if ((await store.incr('pair-code-tries', r.code, ttl)) <= limits.attemptsPerCode) return;
        await store.put('pair-code-dead', r.code, true, ttl);
        await store.delete('pair-code', r.code);
        if (r.code === code) survives = false;
      }));
      return survives;
    },
    /** True when `code` was closed for running out of attempts (still within its lifetime). */
    exhausted: async (code: string) => (await store.get<boolean>('pair-code-dead', code)) === true,
    exhaustedError: () =>
      new HttpError(410, 'code-exhausted', `this code was closed after ${limits.attemptsPerCode} pairing attempts on this server while it was valid (someone may be guessing); ask for a new code`),
  };
}
