import { createReassembler, encodeFrames } from '../../channel/framing.ts';
import { MeshError } from '../../errors.ts';
import type { RouteTransport, TransportContext } from './route-transport.ts';

/**
 * Frame size inside a routed payload: sealed and base64'd it stays under MAX_HOP_BODY_BYTES, and
 * the whole `hop` fits in two DataChannel frames.
 */
const ROUTED_FRAME_BYTES = 16 * 1024;

/**
 * The `routed` tier: no DataChannel to the peer, but other peers reach it. Messages travel as
 * `hop` payloads over their DataChannels (routing/peer-overlay.ts), in the DataChannel framing,
 * every frame sealed end to end with the same seal as the server relay (one per pair, so the
 * frame counters, and with them the AES-GCM nonces, are never reused across the two paths).
 * Relaying peers see ids, sizes and timing, never content; they cannot forge or replay a frame.
 */
export function createRoutedTransport(ctx: TransportContext): RouteTransport {
  const { options: o, seal } = ctx;
  const overlay = o.overlay;
  const inbound = createReassembler({ maxMessageBytes: o.maxMessageBytes, maxFrameBytes: 64 * 1024 });
  const bytes = { sent: 0, received: 0 };
  let queue = Promise.resolve();

  const self: RouteTransport = {
    usesLink: false,
    pick() {
      const r = overlay?.best(o.peerId);
      // One hop is the peer's own DataChannel: that is the DataChannel transport's, not ours.
      return r && r.hops > 1 ? { transport: self, tier: 'routed', generation: r.generation, hops: r.hops } : undefined;
    },
    async send(_msg, message, length, pick) {
      if (!overlay) throw new MeshError('link-down', `no route to "${o.peerId}" over other peers`, { peerId: o.peerId });
      let hops = pick.hops ?? 0;
      for (const frame of encodeFrames(o.nextMsgId(), message, ROUTED_FRAME_BYTES)) hops = (await overlay.send(o.peerId, await seal.seal(frame))).hops;
      bytes.sent += length;
      return { tier: 'routed', generation: pick.generation, bytes: length, hops };
    },
    get verified() {
      return seal.verified;
    },
    bytes,
    receiveHop(body) {
      // Opened one after another: frames must reach the reassembler in the order they came.
      queue = queue.then(async () => {
        const opened = await seal.open(body, true);
        if (!opened || ctx.closed()) return;
        bytes.received += opened.length;
        const r = inbound.push(opened);
        if (!r.ok) ctx.events.emit('frame-error', { code: r.code, message: r.message });
        else if (r.message) ctx.deliver(r.message);
      }).catch((err: unknown) => ctx.events.emit('frame-error', { code: 'seal-refused', message: err instanceof Error ? err.message : String(err) }));
    },
    rejoined: () => inbound.clear(),
    close: () => inbound.clear(),
  };
  return self;
}
