import { lazyObject } from '../lazy-module.ts';
import type { IceRecovery, IceRecoveryOptions } from './link-recovery.ts';

/**
 * ICE recovery (link-recovery.ts) loaded when a link's connection first reports an ICE state, so
 * it is there by the time a link drops, not with the page (docs/browser-library.md "Size"). What
 * happens while it loads runs once it is there, in order, if the connection it happened to is
 * still the link's (a replaced connection's events are dropped, as peer-link.ts drops them).
 */
export function createLazyIceRecovery(o: IceRecoveryOptions): IceRecovery {
  const ice = lazyObject(() => import('./link-recovery.ts'), (m) => m.createIceRecovery(o));
  const onPc = (run: (r: IceRecovery) => void) => {
    const pc = o.link.pc;
    ice.use((r) => void (o.link.pc === pc && run(r)));
  };
  return {
    recover: (reason) => onPc((r) => r.recover(reason)),
    onIceState: (s) => onPc((r) => r.onIceState(s)),
  };
}
