import { lazyModule } from '../lazy-module.ts';
import type { LinkAuthenticator, LinkAuthenticatorOptions } from './link-identity.ts';

/**
 * A LinkAuthenticator whose code (link proofs, their schema, signature checks, pins) loads with
 * the first DataChannel that proves itself: a page that joins and calls through the relay never
 * needs it, and a page's first load stays small (docs/browser-library.md "Size"). Every method is
 * async anyway; each waits for the module. A failed load (offline) is retried by the next call.
 */
export function createLazyLinkAuthenticator(o: LinkAuthenticatorOptions = {}): LinkAuthenticator {
  const load = lazyModule(() => import('./link-identity.ts').then((m) => m.createLinkAuthenticator(o)));
  // With the key given, this peer's identity needs no module; without one the module makes it now,
  // as the eager authenticator does, so key generation never adds to a connection's setup.
  const own = o.identity ? Promise.resolve(o.identity) : load().then((a) => a.identity());
  own.catch(() => undefined);
  return {
    identity: () => own,
    prove: (ctx) => load().then((a) => a.prove(ctx)),
    verify: (ctx, message) => load().then((a) => a.verify(ctx, message)),
    checkIdentity: (peerId, identity) => load().then((a) => a.checkIdentity(peerId, identity)),
  };
}
