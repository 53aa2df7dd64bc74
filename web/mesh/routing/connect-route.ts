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
    const done = () => {
      const info = route.info;
      if (info.state === 'connecting' || (info.tier === 'routed' && route.link.state !== 'idle')) return;
      stop();
      if (info.state === 'open') resolve(info);
      else reject(route.error ?? new MeshError('peer-left', `peer "${peerId}" left`, { peerId }));
    };
    // The link giving up leaves a routed route's info as it was: no change event to wake on.
    const offs = [route.on('change', done), route.link.on('state', done)];
    const stop = () => (offs.forEach((off) => off()), clock.clear(timer));
    const timer = clock.set(() => (stop(), reject(new MeshError('timeout', `no route to ${peerId} within ${timeoutMs} ms`, { peerId }))), timeoutMs);
    route.connect();
    done();
  });
}
