import type { MeshMessage, Tier } from '../../../protocol/index.ts';
import type { AgentChannelAdopter, ChannelRefusal } from '../channel/agent-channels.ts';
import type { Emitter } from '../emitter.ts';
import type { MeshError } from '../errors.ts';
import type { HandshakeResult } from '../link/link-handshake.ts';
import type { LinkVerdict } from '../link/link-identity.ts';
import type { SendReceipt } from '../calls/message-factory.ts';
import type { PeerLink, PeerLinkOptions } from '../link/peer-link-types.ts';
import type { PeerOverlay } from './peer-overlay.ts';
import type { SealKeys } from './relay-seal.ts';
import type { SignalFrame, SignalingClient } from '../signaling/signaling-client.ts';

export type RouteState = 'connecting' | 'open' | 'closed';

export interface RouteInfo {
  peerId: string;
  /** LinkSchema state: `open` means messages flow, on any tier. */
  state: RouteState;
  tier: Tier;
  /** Hops to the peer on the `routed` tier (2 or more); absent on the other tiers. */
  hops?: number;
  rttMs: number | undefined;
  bytesSent: number;
  bytesReceived: number;
  /** Current RTCPeerConnection's session id (undefined on the fallback tier). */
  sessionId: string | undefined;
  /** RTCPeerConnections created for this peer so far. */
  sessions: number;
  /** DataChannel setup time of the current connection, ms. */
  openMs: number | undefined;
  /** DataChannel open to the peer's link proof verified, ms (the identity check's cost). */
  verifyMs: number | undefined;
  /**
   * `verified`: messages go over a DataChannel whose peer proved its key, or sealed through the
   * server after its signed key exchange; `refused`: the peer failed a link proof or seal-hello
   * and is cut off; `unverified`: nothing proved yet.
   */
  identity: 'verified' | 'unverified' | 'refused';
  /** Largest DataChannel `bufferedAmount` seen after a send (backpressure evidence), bytes. */
  maxBufferedAmount: number;
  /** Why the last DataChannel attempt or connection ended (timeout, ICE failed, bye, ...). */
  lastError: string | undefined;
  /** The peer's agents reachable over a DataChannel of their own on this link (agent channels). */
  agentChannels: string[];
}

export interface PeerRouteEvents {
  /** An inbound message (decoded, binary values in place; not yet validated). */
  message: unknown;
  /** `raw`: what could be decoded of a bad message, so the error reply can name its request. */
  'frame-error': { code: string; message: string; raw?: unknown };
  /** Something about the route changed (state, tier, generation). */
  change: RouteInfo;
  /** The verdict on the peer's link proof for a new DataChannel, or on its sealed-relay key. */
  identity: HandshakeResult | LinkVerdict;
  /** A DataChannel the peer opened was closed unused (unknown label, unverified link, ...). */
  'channel-refused': { label: string; reason: ChannelRefusal; message: string };
}

export interface PeerRouteOptions extends Omit<PeerLinkOptions, 'remoteId' | 'signal'> {
  peerId: string;
  signaling: SignalingClient;
  /** Local p2p switch; false = every message to this peer goes through the server. */
  p2p: boolean;
  maxMessageBytes: number;
  /** Counter bumped by the mesh on every new signaling session (relay generation). */
  relaySession: () => number;
  /** Asks the mesh for a connection slot (per-peer connection cap); a `repair` link only takes a free one. */
  acquireSlot: (route: PeerRoute, repair?: boolean) => boolean;
  /** The peer said `bye` link-cap: it evicted our open link (`evicted`), or refused our offer (overlay repair). */
  capped: (evicted: boolean) => void;
  retry?: { baseMs?: number; maxMs?: number };
  /** This mesh's ECDH key for sealing fallback-tier frames. */
  sealKeys: SealKeys;
  /** Routing over other peers' DataChannels (the `routed` tier); absent: never routed. */
  overlay?: PeerOverlay;
  /** Hosts our agents' own channels on this link once it is verified (browser: their Workers). */
  adopter?: AgentChannelAdopter;
}

export interface PeerRoute extends Pick<Emitter<PeerRouteEvents>, 'on'> {
  readonly peerId: string;
  readonly link: PeerLink;
  readonly info: RouteInfo;
  /** Generation of the usable route, or undefined while there is none. */
  readonly generation: string | undefined;
  /** Last time a message was sent to this peer (for the cap's LRU eviction). */
  readonly lastUsed: number;
  rttMs: number | undefined;
  /** Whether the peer is in the signaling server's peer list. */
  present: boolean;
  /** Why the route was closed (`peer-left`, `identity-failed`, `stopped`), undefined while usable. */
  readonly error: MeshError | undefined;
  /**
   * Starts a DataChannel unless one is up, p2p is off, or no slot is free; true when an offer went
   * out. `repair`: an overlay repair link, which the peer takes only into a free slot.
   */
  connect(repair?: boolean): boolean;
  send(msg: MeshMessage): Promise<SendReceipt>;
  handleSignal(frame: SignalFrame): void;
  handleRelay(payload: unknown): void;
  /** A payload other peers carried from this peer (routing over peers). */
  handleHop(body: unknown): void;
  /** The overlay's table changed: the way over peers may be another, or gone. */
  overlayChanged(): void;
  /** The signaling session changed (up or down): wake waiting messages. */
  signalingChanged(): void;
  /** The peer (re)joined the server: forget its old relay partials and "p2p disabled" verdict. */
  rejoined(): void;
  /** Gives the slot back (cap eviction): close the DataChannel, use the fallback tier for a while. */
  evict(): void;
  /** The peer is gone: rejects waiting messages with `err`, closes the link. */
  close(err: MeshError): void;
}
