import { lazyModule } from '../../lazy-module.ts';
import { lazyTransport } from './lazy-transport.ts';
import type { RouteTransport, TransportContext } from './route-transport.ts';

const load = lazyModule(() => import('./routed-transport.ts'));

/**
 * The `routed` tier (routed-transport.ts), whose code loads with the first message routed either
 * way. It can carry a message once the overlay knows a way of more than one hop (one hop is the
 * peer's own DataChannel, the DataChannel transport's).
 */
export function createLazyRoutedTransport(ctx: TransportContext): RouteTransport {
  const o = ctx.options;
  return lazyTransport(ctx, load, (m) => m.createRoutedTransport(ctx),
    (self) => {
      const r = o.overlay?.best(o.peerId);
      return r && r.hops > 1 ? { transport: self, tier: 'routed', generation: r.generation, hops: r.hops } : undefined;
    },
    'receiveHop', 'routing-unavailable');
}
