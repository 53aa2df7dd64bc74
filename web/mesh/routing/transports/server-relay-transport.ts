import { createReassembler, encodeFrames } from '../../channel/framing.ts';
import type { RouteTransport, TransportContext } from './route-transport.ts';

const RELAY_FRAME_OVERHEAD = 256;
/** AES-GCM tag plus slack, bytes. */
const SEAL_OVERHEAD = 64;

/**
 * Tier 3, the fallback: messages go through the signaling server in `relay` frames, in the
 * DataChannel framing, each frame sealed end to end so the relaying server cannot read, forge or
 * replay them (the route's seal, shared with the routed tier). Used only while the route's policy
 * allows the fallback.
 */
export function createServerRelayTransport(ctx: TransportContext): RouteTransport {
  const { options: o, events, seal } = ctx;
  const { signaling, peerId } = o;
  const relayIn = createReassembler({ maxMessageBytes: o.maxMessageBytes, maxFrameBytes: 64 * 1024 });
  const bytes = { sent: 0, received: 0 };
  let inbound = Promise.resolve();

  const self: RouteTransport = {
    usesLink: false,
    pick: () => (ctx.fallbackAllowed() && signaling.state === 'open' ? { transport: self, tier: 'fallback', generation: `relay:${o.relaySession()}` } : undefined),
    async send(_msg, message, length, pick) {
      const max = signaling.session?.limits.maxFrameBytes ?? 65_536;
      // The DataChannel framing (binary envelopes included), each frame sealed (base64 + the GCM tag) into one server frame.
      const frameBytes = Math.min(48 * 1024, Math.floor(((max - RELAY_FRAME_OVERHEAD) * 3) / 4) - SEAL_OVERHEAD);
      for (const frame of encodeFrames(o.nextMsgId(), message, frameBytes)) await signaling.relay(peerId, await seal.seal(frame));
      bytes.sent += length;
      return { tier: pick.tier, generation: pick.generation, bytes: length };
    },
    get verified() {
      return seal.verified;
    },
    bytes,
    receiveRelay(payload) {
      // Opened one after another: frames must reach the reassembler in the order they came.
      inbound = inbound.then(async () => {
        const opened = await seal.open(payload);
        if (!opened || ctx.closed()) return;
        bytes.received += opened.length;
        const r = relayIn.push(opened);
        if (!r.ok) events.emit('frame-error', { code: r.code, message: r.message });
        else if (r.message) ctx.deliver(r.message);
      }).catch((err: unknown) => events.emit('frame-error', { code: 'seal-refused', message: err instanceof Error ? err.message : String(err) }));
    },
    rejoined() {
      // The peer has a new ECDH key: the pair's seal (shared with the routed tier) starts over.
      relayIn.clear();
      seal.reset();
    },
    close() {
      relayIn.clear();
    },
  };
  return self;
}
