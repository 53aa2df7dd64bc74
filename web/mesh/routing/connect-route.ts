import { MeshError } from '../errors.ts';
import type { Clock } from '../platform.ts';
import type { PeerRoute, RouteInfo } from './peer-route.ts';

/** Starts a route and settles when it is open (or failed), or after `timeoutMs`. */
export function connectRoute(route: PeerRoute, clock: Clock, timeoutMs: number): Promise<RouteInfo> {
  const { peerId } = route;
  return new Promise((resolve, reject) => {
    const done = (info: RouteInfo) => {
      if (info.state === 'connecting') return false;
      off();
      clock.clear(timer);
      if (info.state === 'open') resolve(info);
      else reject(route.error ?? new MeshError('peer-left', `peer "${peerId}" left`, { peerId }));
      return true;
    };
    const off = route.on('change', done);
    const timer = clock.set(() => (off(), reject(new MeshError('timeout', `no route to ${peerId} within ${timeoutMs} ms`, { peerId }))), timeoutMs);
    route.connect();
    done(route.info);
  });
}
