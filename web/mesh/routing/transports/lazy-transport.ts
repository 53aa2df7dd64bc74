import type { RouteTransport, TransportContext, TransportPick } from './route-transport.ts';

/**
 * A transport whose code loads with its first use: a message to send, or one that arrived on it
 * (`receives`). Whether it can carry a message now (`pick`) needs no module, so the browser
 * library's first load carries only that (docs/browser-library.md "Size"). Payloads that arrive
 * while it loads are handed over in the order they came; if the load fails each is reported as
 * `unavailable` and the next use tries again.
 */
export function lazyTransport<M>(
  ctx: TransportContext,
  load: () => Promise<M>,
  create: (m: M) => RouteTransport,
  pick: (self: RouteTransport) => TransportPick | undefined,
  receives: 'receiveRelay' | 'receiveHop',
  unavailable: string,
): RouteTransport {
  let real: RouteTransport | undefined;
  let inbound = Promise.resolve();
  const transport = () => load().then((m) => (real ??= create(m)));
  const none = { sent: 0, received: 0 };
  return {
    usesLink: false,
    pick() {
      return pick(this);
    },
    send: (msg, bytes, length, p) => transport().then((t) => t.send(msg, bytes, length, p)),
    get verified() {
      return ctx.seal.verified;
    },
    get bytes() {
      return real?.bytes ?? none;
    },
    [receives](payload: unknown) {
      // Always through the chain: a payload never overtakes one that came while the module loaded.
      inbound = inbound.then(transport).then(
        (t) => t[receives]!(payload),
        (err: unknown) => ctx.events.emit('frame-error', { code: unavailable, message: String(err) }),
      );
    },
    rejoined: () => real?.rejoined?.(),
    close: () => real?.close?.(),
  };
}
