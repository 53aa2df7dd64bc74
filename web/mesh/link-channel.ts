import { createChannelSender, type ChannelSender, type SenderOptions } from './channel-sender.ts';
import { MeshError } from './errors.ts';
import { createReassembler, type MessageBytes, type ReassemblerOptions } from './framing.ts';
import { startLinkHandshake, type HandshakeResult, type LinkHandshake } from './link-handshake.ts';
import type { LinkAuthenticator } from './link-identity.ts';
import type { Clock } from './platform.ts';
import { detectTier, type LinkTier } from './tier.ts';

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
  onMessage(bytes: Uint8Array): void;
  onFrameError(e: { code: string; message: string }): void;
  onClose(): void;
}

export interface LinkChannel {
  /** Time from the channel opening to the remote's proof verified, ms. */
  readonly verifyMs: number | undefined;
  readonly stats: { bytesSent: number; bytesReceived: number; maxBufferedAmount: number };
  /** Sends one encoded message; rejects before the channel opened. */
  send(bytes: MessageBytes): Promise<void>;
  /** The link is open: hands over what the peer sent right after its proof, then every later message. */
  deliver(): void;
  /** Stops handling the channel (it is not closed here): queued sends fail with `err`. */
  dispose(err: MeshError): void;
}

/**
 * The "tabmesh" DataChannel of one connection: framing both ways, and the link proof before
 * anything reaches the application. Its owner (peer-link.ts) decides what a verdict means.
 */
export function createLinkChannel(o: LinkChannelOptions): LinkChannel {
  const { channel, clock } = o;
  const reassembler = createReassembler(o.reassembler);
  let sender: ChannelSender | undefined;
  let handshake: LinkHandshake | undefined;
  let verifyMs: number | undefined;
  let received = 0;
  let live = false;
  let disposed = false;

  channel.binaryType = 'arraybuffer';
  channel.onopen = () => void opened();
  channel.onclose = () => {
    if (!disposed) o.onClose();
  };
  channel.onmessage = (ev: MessageEvent) => {
    if (disposed) return;
    // node-datachannel can deliver the answerer's first messages before its `open` event: a
    // message proves the channel open, and the first one is the remote's link proof.
    if (!sender) void opened();
    onData(ev.data);
  };
  if (channel.readyState === 'open') void opened();

  async function opened(): Promise<void> {
    // node-datachannel hands the answerer an already-open channel and then fires `open` as well.
    if (disposed || sender) return;
    const out = (sender = createChannelSender(channel, clock, o.nextMsgId, o.sender));
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
      auth: o.auth, ctx, send: (b) => out.send(b), clock, timeoutMs: o.proofTimeoutMs, waitForRemote: !o.opener,
      ...(pc.remoteDescription || !o.described ? {} : { ready: o.described }),
    }));
    const verified = hs.result.then((v) => {
      verifyMs = clock.elapsed() - openedAt;
      return v;
    });
    const [tier, verdict] = await Promise.all([detectTier(pc), verified]);
    if (!disposed) o.onVerdict(verdict, tier);
  }

  function onData(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return o.onFrameError({ code: 'bad-frame', message: 'only binary frames are part of the protocol' });
    received += data.byteLength;
    const r = reassembler.push(new Uint8Array(data));
    if (!r.ok) o.onFrameError({ code: r.code, message: r.message });
    // Nothing reaches the application before the peer proved itself (the handshake holds it).
    else if (r.message && !handshake?.receive(r.message) && live) o.onMessage(r.message);
  }

  return {
    get verifyMs() {
      return verifyMs;
    },
    get stats() {
      return { bytesSent: sender?.stats.bytesSent ?? 0, bytesReceived: received, maxBufferedAmount: sender?.stats.maxBufferedAmount ?? 0 };
    },
    send(bytes) {
      return sender ? sender.send(bytes) : Promise.reject(new MeshError('link-down', `the DataChannel to ${o.remoteId} is not open`, { peerId: o.remoteId }));
    },
    deliver() {
      if (disposed || live || !handshake) return;
      live = true;
      for (const bytes of handshake.release()) if (!disposed) o.onMessage(bytes);
    },
    dispose(err) {
      if (disposed) return;
      disposed = true;
      channel.onopen = channel.onclose = channel.onmessage = null;
      sender?.close(err);
      handshake?.cancel();
      reassembler.clear();
    },
  };
}
