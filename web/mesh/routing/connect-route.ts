import { MeshError } from '../errors.ts';
import type { Clock } from '../platform.ts';
import type { PeerRoute, RouteInfo } from './peer-route.ts';

/**
 * Starts a route and settles when it is open (or failed), or after `timeoutMs`. A way over other
 * peers does not settle it while the DataChannel it started is still being opened: connect asks
 * for the peer's own link, and takes `routed` (or the fallback) only when that cannot be had.
 */
export function connectRoute(route: PeerRoute, clock: Clock, timeoutMs: number): Promise<RouteInfo> {
  const { peerId } = route;
  return new Promise((resolve, reject) => {
    const done = (info: RouteInfo) => {
      if (info.state === 'connecting' || (info.tier === 'routed' && route.link.state !== 'idle')) return false;
      off();
      offLink();
      clock.clear(timer);
      if (info.state === 'open') resolve(info);
      else reject(route.error ?? new MeshError('peer-left', `peer "${peerId}" left`, { peerId }));
      return true;
    };
    const off = route.on('change', done);
    // The link giving up leaves a routed route's info as it was: no change event to wake on.
    const offLink = route.link.on('state', () => done(route.info));
    const timer = clock.set(() => (off(), offLink(), reject(new MeshError('timeout', `no route to ${peerId} within ${timeoutMs} ms`, { peerId }))), timeoutMs);
    route.connect();
    done(route.info);
  });
}
