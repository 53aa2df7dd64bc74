import type { SenderOptions } from '../channel/channel-sender.ts';
import { createFramedChannel } from '../channel/channel-wire.ts';
import { MeshError } from '../errors.ts';
import type { MessageBytes, ReassemblerOptions } from '../channel/framing.ts';
import { startLinkHandshake, type HandshakeResult, type LinkHandshake } from './link-handshake.ts';
import type { LinkAuthenticator } from './link-identity.ts';
import type { Clock } from '../platform.ts';
import { detectTier, retryUnknownTier, type LinkTier } from './lazy-tier.ts';

export interface LinkChannelOptions {
  channel: RTCDataChannel;
  /** We created the channel (else the remote did, and we received it via `datachannel`). */
  opener: boolean;
  pc: RTCPeerConnection;
  /** Settles once the connection's remote description is applied (the proof needs its fingerprint). */
  described: Promise<void> | undefined;
  localId: string;
  remoteId: string;
  auth: LinkAuthenticator;
  clock: Clock;
  nextMsgId: () => number;
  sender?: SenderOptions;
  reassembler?: ReassemblerOptions;
  /** No link proof within this long fails the handshake, ms. */
  proofTimeoutMs: number;
  /** The DataChannel opened; the link-proof exchange has started. */
  onOpen(): void;
  /** The remote's proof was judged (and the tier measured meanwhile). */
  onVerdict(verdict: HandshakeResult, tier: LinkTier): void;
  /** A tier that was `unknown` at the verdict became known from later stats. */
  onTier(tier: LinkTier): void;
  onMessage(bytes: Uint8Array): void;
  onFrameError(e: { code: string; message: string }): void;
  onClose(): void;
}

export interface LinkChannel {
  readonly channel: RTCDataChannel;
  /** Time from the channel opening to the remote's proof verified, ms. */
  readonly verifyMs: number | undefined;
  readonly stats: { bytesSent: number; bytesReceived: number; maxBufferedAmount: number };
  /** Sends one encoded message; rejects with `link-down` unless the channel is open. */
  send(bytes: MessageBytes): Promise<void>;
  /** The link is open: hands over what the peer sent right after its proof, then every later message. */
  deliver(): void;
  /** Stops handling the channel (it is not closed here): queued sends fail with `err`. */
  dispose(err: MeshError): void;
}

/**
 * The "tabmesh" DataChannel of one connection: the mesh framing (channel-wire.ts), and the link
 * proof before anything reaches the application. Its owner (peer-link.ts) decides what a verdict
 * means.
 */
export function createLinkChannel(o: LinkChannelOptions): LinkChannel {
  const { channel, clock } = o;
  let handshake: LinkHandshake | undefined;
  let verifyMs: number | undefined;
  let live = false;
  let disposed = false;
  let stopTierRetry: (() => void) | undefined;

  const wire = createFramedChannel(channel, {
    clock, nextMsgId: o.nextMsgId,
    ...(o.sender ? { sender: o.sender } : {}), ...(o.reassembler ? { reassembler: o.reassembler } : {}),
    // node-datachannel can deliver the answerer's first messages before its `open` event; the
    // wire opens on the first message, and that message is the remote's link proof.
    onOpen: () => void opened(),
    // Nothing reaches the application before the peer proved itself (the handshake holds it).
    onBytes: (bytes) => {
      if (!handshake?.receive(bytes) && live) o.onMessage(bytes);
    },
    onFrameError: o.onFrameError,
    onClose: o.onClose,
    linkDown: () => new MeshError('link-down', `DataChannel to ${o.remoteId} closed`, { peerId: o.remoteId }),
  });

  async function opened(): Promise<void> {
    const openedAt = clock.elapsed();
    o.onOpen();
    const { pc } = o;
    // Both SDPs as this connection applied them: their fingerprints are what DTLS checked.
    // Read when used: Chromium can open the offerer's channel before the answer is applied.
    const ctx = {
      localId: o.localId, remoteId: o.remoteId,
      get localSdp() { return pc.localDescription?.sdp; },
      get remoteSdp() { return pc.remoteDescription?.sdp; },
    };
    // The end that received the channel sends its proof only after the opener's first message (Chromium drops earlier sends).
    const hs = (handshake = startLinkHandshake({
      auth: o.auth, ctx, send: (b) => wire.send(b), clock, timeoutMs: o.proofTimeoutMs, waitForRemote: !o.opener,
      ...(pc.remoteDescription || !o.described ? {} : { ready: o.described }),
    }));
    const verified = hs.result.then((v) => {
      verifyMs = clock.elapsed() - openedAt;
      return v;
    });
    const [tier, verdict] = await Promise.all([detectTier(pc), verified]);
    if (disposed) return;
    o.onVerdict(verdict, tier);
    if (tier === 'unknown' && verdict.ok) stopTierRetry = retryUnknownTier(pc, clock, (t) => {
      if (!disposed) o.onTier(t);
    });
  }

  return {
    channel,
    get verifyMs() {
      return verifyMs;
    },
    get stats() {
      return wire.stats;
    },
    send: (bytes) => wire.send(bytes),
    deliver() {
      if (disposed || live || !handshake) return;
      live = true;
      for (const bytes of handshake.release()) if (!disposed) o.onMessage(bytes);
    },
    dispose(err) {
      if (disposed) return;
      disposed = true;
      stopTierRetry?.();
      wire.detach(err);
      handshake?.cancel();
    },
  };
}
