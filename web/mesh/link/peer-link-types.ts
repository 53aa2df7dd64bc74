import type { ClientFrame } from '../../../protocol/index.ts';
import type { SenderOptions } from '../channel/channel-sender.ts';
import type { Emitter } from '../emitter.ts';
import type { MessageBytes, ReassemblerOptions } from '../channel/framing.ts';
import type { HandshakeResult } from './link-handshake.ts';
import type { LinkAuthenticator } from './link-identity.ts';
import type { Clock, MeshPlatform } from '../platform.ts';
import type { SignalFrame } from '../signaling/signaling-client.ts';
import type { LinkTier } from './tier.ts';

export type PeerLinkState = 'idle' | 'connecting' | 'open';

export interface PeerLinkEvents {
  /** Every transition; `reason` says why a link went idle (timeout, ICE failed, channel closed, ...). */
  state: { state: PeerLinkState; reason?: string };
  /** A complete inbound message (framing removed). */
  message: Uint8Array;
  /** A frame that broke the framing rules; the peer gets an `error` reply from the mesh. */
  'frame-error': { code: string; message: string };
  /** The verdict on the remote's link proof, before the link opens (or goes down on a failure). */
  identity: HandshakeResult;
  /** The open link's tier became known from stats after it opened as `unknown`. */
  tier: LinkTier;
  /** A DataChannel the remote opened with another label than "tabmesh" (agent-channels.ts judges it). */
  channel: RTCDataChannel;
}

export interface PeerLinkOptions {
  localId: string;
  remoteId: string;
  platform: MeshPlatform;
  clock: Clock;
  iceServers: () => RTCIceServer[];
  /** Sends offer/answer/candidate frames through signaling. */
  signal: (frame: Extract<ClientFrame, { type: 'offer' | 'answer' | 'candidate' }>) => void;
  /** An attempt that has no open DataChannel after this long is abandoned (default 5 s). */
  connectTimeoutMs?: number;
  /** ICE `disconnected` for this long triggers restartIce or a fresh connection (default 4 s). */
  disconnectGraceMs?: number;
  reassembler?: ReassemblerOptions;
  sender?: SenderOptions;
  nextMsgId: () => number;
  /** Signs our link proof and checks the remote's: the link opens only for a peer that proved itself. */
  auth: LinkAuthenticator;
}

export interface LinkStats {
  bytesSent: number;
  bytesReceived: number;
  maxBufferedAmount: number;
}

export interface PeerLink extends Pick<Emitter<PeerLinkEvents>, 'on'> {
  readonly state: PeerLinkState;
  readonly sessionId: string | undefined;
  readonly tier: LinkTier | undefined;
  /** Connections created so far (1 for a link that never had to reconnect). */
  readonly sessions: number;
  /** Time from starting the attempt to the DataChannel opening, for the current connection. */
  readonly openMs: number | undefined;
  /** Time from the DataChannel opening to the remote's link proof verified (the identity cost), ms. */
  readonly verifyMs: number | undefined;
  readonly stats: LinkStats;
  /** Starts an attempt as the offerer unless one is already connecting or open; `repair` flags the offer (overlay repair). */
  connect(repair?: boolean): void;
  /** Feeds an offer, answer or candidate from this remote peer. */
  handleSignal(frame: SignalFrame): void;
  /** Sends one encoded message over the DataChannel (rejects with `link-down` when not open). */
  send(bytes: MessageBytes): Promise<void>;
  /**
   * Closes the connection quietly (no `state` event); the link can connect again later.
   * `drainMs`: the DataChannel closes first, after what is queued on it (a bye) has gone out, and
   * the connection once it has closed, or after `drainMs` (closing the connection at once drops it).
   */
  close(drainMs?: number): void;
  /** Opens an extra DataChannel on this connection; only while `open` (the remote is verified). */
  openChannel(label: string): RTCDataChannel | undefined;
}
