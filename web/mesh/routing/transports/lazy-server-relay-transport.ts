import { lazyModule } from '../../lazy-module.ts';
import type { RouteTransport, TransportContext } from './route-transport.ts';

const load = lazyModule(() => import('./server-relay-transport.ts'));

/**
 * The server relay (tier 3, server-relay-transport.ts) whose code, with its sealing, loads with
 * the first message relayed either way: most peers reach each other over DataChannels and never
 * relay, and a page's first load stays small (docs/browser-library.md "Size"). Whether it can
 * carry a message now needs no module; sending waits for it, and relayed frames that arrive
 * while it loads are opened in the order they came.
 */
export function createLazyServerRelayTransport(ctx: TransportContext): RouteTransport {
  const { signaling } = ctx.options;
  let real: RouteTransport | undefined;
  let inbound = Promise.resolve();
  const transport = () => load().then((m) => (real ??= m.createServerRelayTransport(ctx)));
  const none = { sent: 0, received: 0 };
  const self: RouteTransport = {
    usesLink: false,
    pick: () => (ctx.fallbackAllowed() && signaling.state === 'open' ? { transport: self, tier: 'fallback', generation: `relay:${ctx.options.relaySession()}` } : undefined),
    send: (msg, bytes, length, pick) => transport().then((t) => t.send(msg, bytes, length, pick)),
    get verified() {
      return real?.verified ?? false;
    },
    get bytes() {
      return real?.bytes ?? none;
    },
    receiveRelay(payload) {
      // Always through the chain: a frame never overtakes one that came while the module loaded.
      inbound = inbound.then(transport).then(
        (t) => t.receiveRelay!(payload),
        (err: unknown) => ctx.events.emit('frame-error', { code: 'relay-unavailable', message: String(err) }),
      );
    },
    rejoined: () => real?.rejoined?.(),
    close: () => real?.close?.(),
  };
  return self;
}
