import { lazyModule } from '../lazy-module.ts';
import type { Clock } from '../platform.ts';
import type { LinkTier } from './tier.ts';

export type { LinkTier } from './tier.ts';

const load = lazyModule(() => import('./tier.ts'));

/**
 * tier.ts (reading the selected candidate pair from getStats) loaded when the first link opens,
 * not with the page (docs/browser-library.md "Size"). A module that cannot load leaves the tier
 * `unknown`: a tier is never guessed.
 */
export const detectTier = (pc: RTCPeerConnection): Promise<LinkTier> => load().then((m) => m.detectTier(pc), () => 'unknown' as const);

/** As tier.ts's `retryUnknownTier` (the module is there by then: `detectTier` loaded it). */
export function retryUnknownTier(pc: RTCPeerConnection, clock: Clock, onKnown: (tier: LinkTier) => void): () => void {
  let cancel: (() => void) | undefined;
  let cancelled = false;
  load().then((m) => void (cancelled || (cancel = m.retryUnknownTier(pc, clock, onKnown))), () => undefined);
  return () => {
    cancelled = true;
    cancel?.();
  };
}
