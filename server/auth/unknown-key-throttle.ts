import type { Context, MiddlewareHandler } from 'hono';
import { limitKey } from '../http/client-address.ts';
import { HttpError } from '../http/http-error.ts';
import type { Store } from '../store/store.ts';

/** Unknown credentials one client address may present per minute before it gets 429. */
export const UNKNOWN_KEYS_PER_MINUTE = 20;

/**
 * Throttles guessing on the routes that take an `X-API-Key` (`/api/token`, `/api/token/nonce`,
 * `/metrics`), and on the A2A routes that take a key as the bearer value: once a client address presented `UNKNOWN_KEYS_PER_MINUTE` unknown keys or device
 * tokens within a minute, every further unknown one is answered 429 `too-many-attempts` until the
 * minute is over. A valid credential is still accepted from a throttled address: behind a proxy
 * that is not trusted (`TABMESH_TRUST_PROXY` unset) every client shares one address, and a stranger's
 * guesses must not lock the real clients out. That leaves the 200-versus-429 answer as an oracle, which
 * is harmless: keys and device tokens carry 192+ random bits, so guessing stays hopeless at any rate;
 * the throttle caps the noise and the work. Counted in the store, so the limit holds across instances.
 */
export function unknownKeyThrottle(
  store: Store,
  clientAddress: (c: Context) => string,
  /** Whether the request presents a key to check; the A2A routes take one as the bearer value. */
  presentsKey: (c: Context) => boolean = (c) => Boolean(c.req.header('x-api-key')),
): MiddlewareHandler {
  return async (c, next) => {
    if (!presentsKey(c)) return next();
    const who = limitKey(clientAddress(c));
    const throttled = ((await store.get<number>('unknown-key', who)) ?? 0) >= UNKNOWN_KEYS_PER_MINUTE;
    await next();
    // The routes answer an unknown credential with 401 `unauthorized` (a bad proof is another code).
    if (c.error instanceof HttpError && c.error.status === 401 && c.error.code === 'unauthorized') {
      await store.incr('unknown-key', who, 60_000);
      if (throttled) {
        c.header('retry-after', '60');
        throw new HttpError(429, 'too-many-attempts', `more than ${UNKNOWN_KEYS_PER_MINUTE} unknown API keys or device tokens in a minute from this address; wait a minute`);
      }
    }
  };
}
