import type { Context, MiddlewareHandler } from 'hono';
import { limitKey } from '../http/client-address.ts';
import { HttpError } from '../http/http-error.ts';
import type { Store } from '../store/store.ts';

/** Unknown credentials one client address may present per minute before it gets 429. */
export const UNKNOWN_KEYS_PER_MINUTE = 20;

/**
 * Throttles guessing on the routes that take an `X-API-Key` (`/api/token`, `/api/token/nonce`,
 * `/metrics`): a client address that presented `UNKNOWN_KEYS_PER_MINUTE` unknown keys or device
 * tokens within a minute gets 429 `too-many-attempts` before its key is even looked at, until
 * the minute is over. Valid credentials never count, so a client that only uses good keys is never
 * throttled, however fast it asks. Counted in the store, so the limit holds across instances.
 */
export function unknownKeyThrottle(store: Store, clientAddress: (c: Context) => string): MiddlewareHandler {
  return async (c, next) => {
    if (!c.req.header('x-api-key')) return next();
    const who = limitKey(clientAddress(c));
    if (((await store.get<number>('unknown-key', who)) ?? 0) >= UNKNOWN_KEYS_PER_MINUTE) {
      c.header('retry-after', '60');
      throw new HttpError(429, 'too-many-attempts', `more than ${UNKNOWN_KEYS_PER_MINUTE} unknown API keys or device tokens in a minute from this address; wait a minute`);
    }
    await next();
    // The routes answer an unknown credential with 401 `unauthorized` (a bad proof is another code).
    if (c.error instanceof HttpError && c.error.status === 401 && c.error.code === 'unauthorized') {
      await store.incr('unknown-key', who, 60_000);
    }
  };
}
