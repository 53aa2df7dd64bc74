import { lazyObject } from '../lazy-module.ts';
import type { SessionUpkeep, SessionUpkeepOptions } from './session-upkeep.ts';

/**
 * The session's upkeep (token refresh, heartbeats: session-upkeep.ts) loaded with the first
 * welcome, not with the page (docs/browser-library.md "Size"). Calls made while it loads run once
 * it is there, in order: the refresh is then scheduled at most the load's time late, well inside
 * its lead (at least 5 s). A stop before any welcome loads nothing.
 */
export function createLazySessionUpkeep(o: SessionUpkeepOptions): SessionUpkeep {
  const upkeep = lazyObject(() => import('./session-upkeep.ts'), (m) => m.createSessionUpkeep(o));
  return {
    start: (serverTime, expiresAt) => upkeep.use((u) => u.start(serverTime, expiresAt)),
    schedule: (expiresAt) => upkeep.use((u) => u.schedule(expiresAt)),
    soon: () => upkeep.use((u) => u.soon()),
    stop: () => void (upkeep.touched() && upkeep.use((u) => u.stop())),
  };
}
