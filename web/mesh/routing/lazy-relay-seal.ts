import type { RelaySeal, RelaySealOptions } from './relay-seal.ts';

/**
 * A RelaySeal whose code (AES-GCM sealing, seal-hello checks, their schemas) loads on first use:
 * most peers reach each other over DataChannels and never relay, so the browser library and the
 * hub leave it out of their first load (docs/browser-library.md "Size"). Every call waits for the
 * module, and calls made while it loads run in the order they were made.
 */
export function createLazyRelaySeal(o: RelaySealOptions): RelaySeal {
  let real: RelaySeal | undefined;
  let loading: Promise<RelaySeal> | undefined;
  const load = () =>
    (loading ??= import('./relay-seal.ts').then(
      (m) => (real = m.createRelaySeal(o)),
      (err: unknown) => {
        // A failed fetch of the chunk (offline): the next relayed frame tries again.
        loading = undefined;
        throw err;
      },
    ));
  return {
    seal: (frame) => (real ? real.seal(frame) : load().then((s) => s.seal(frame))),
    open: (payload, overPeers) => (real ? real.open(payload, overPeers) : load().then((s) => s.open(payload, overPeers))),
    reset() {
      // Nothing to forget before the module ran; while it loads, forget after the calls already queued.
      if (real) real.reset();
      else void loading?.then((s) => s.reset(), () => undefined);
    },
    get verified() {
      return real?.verified ?? false;
    },
  };
}
