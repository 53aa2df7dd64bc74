import { lazyModule } from '../../lazy-module.ts';
import { lazyTransport } from './lazy-transport.ts';
import type { RouteTransport, TransportContext } from './route-transport.ts';

const load = lazyModule(() => import('./server-relay-transport.ts'));

/**
 * The server relay (tier 3, server-relay-transport.ts) whose code, with its sealing, loads with
 * the first message relayed either way: most peers reach each other over DataChannels and never
 * relay.
 */
export function createLazyServerRelayTransport(ctx: TransportContext): RouteTransport {
  const { signaling, relaySession } = ctx.options;
  return lazyTransport(ctx, load, (m) => m.createServerRelayTransport(ctx),
    (self) => (ctx.fallbackAllowed() && signaling.state === 'open' ? { transport: self, tier: 'fallback', generation: `relay:${relaySession()}` } : undefined),
    'receiveRelay', 'relay-unavailable');
}
