import type { RouteTransport, TransportContext } from './route-transport.ts';

/**
 * Tiers 1 and 2: the peer's DataChannel. Direct and TURN-relayed are the same transport; the tier
 * is what ICE selected (link/tier.ts). A request for an agent with a channel of its own goes
 * there first; if that fails, the main channel.
 */
export function createDataChannelTransport({ link, agents }: TransportContext): RouteTransport {
  const self: RouteTransport = {
    usesLink: true,
    pick: () => (link.state === 'open' ? { transport: self, tier: link.tier ?? 'unknown', generation: `dc:${link.sessionId}` } : undefined),
    async send(msg, bytes, length, pick) {
      const own = msg && (await agents.send(msg, bytes, length)?.catch(() => undefined));
      if (own) return own;
      await link.send(bytes);
      return { tier: pick.tier, generation: pick.generation, bytes: length };
    },
    get verified() {
      return link.state === 'open';
    },
    get bytes() {
      const s = link.stats;
      return { sent: s.bytesSent, received: s.bytesReceived };
    },
  };
  return self;
}
