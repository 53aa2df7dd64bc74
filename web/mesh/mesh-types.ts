import type { PeerKind } from './link/link-budget.ts';
import type { AgentInfo, Identity, IdentityFailureReason, MeshPayload, PublicIdentity, Role, Task, Tier } from '../../protocol/index.ts';
import type { AgentChannelAdopter } from './channel/agent-channels.ts';
import type { AgentHost } from './agent-host.ts';
import type { PinPolicy, PinStore } from './link/link-identity.ts';
import type { SenderOptions } from './channel/channel-sender.ts';
import type { Emitter } from './emitter.ts';
import type { MeshError } from './errors.ts';
import type { MeshPlatform } from './platform.ts';
import type { RouteInfo } from './routing/peer-route.ts';
import type { RoutingOptions } from './routing/mesh-overlay.ts';
import type { RelayStats } from './routing/relay-budget.ts';

/** The public surface of a mesh peer: options, caller API, results and events. */

export interface MeshOptions {
  /** Server base URL (http/https); the signaling socket is `<url>/ws` unless `signalingUrl` is set. */
  url: string;
  signalingUrl?: string;
  platform: MeshPlatform;
  /** A valid JWT, asked for on each (re)connect and refresh (a refresh must get a new one), e.g. `apiKeyTokenSource(...)`. */
  getToken: () => Promise<string>;
  /** The agents this peer serves (task-request, chat, skill-query). */
  host: AgentHost;
  /**
   * Gives agents DataChannels of their own on every verified link (docs/architecture.md "Agent
   * channels"); the browser hub hands them to the agents' Workers. Default: none, `host` serves all.
   */
  agentChannels?: AgentChannelAdopter;
  /**
   * This peer's identity key, proved on every DataChannel (docs/architecture.md "Peer identity").
   * Pass the key the token source proves (the token's subject is its `k…` id); without one a fresh
   * key is made for this mesh object's life, which matches no token the server issues.
   */
  identity?: Identity | Promise<Identity>;
  /** Keys of peers talked to before (browser: IndexedDB, Node: a 0600 file). Default: in memory. */
  pins?: PinStore;
  /** A pinned plain-name id (only a compromised or older server hands those out) showing another key: `refuse` (default) or `warn` and re-pin. */
  pinPolicy?: PinPolicy;
  /** false: never open DataChannels; everything goes through the server (tier 3). Default true. */
  p2p?: boolean;
  /** Connect to every peer on join (the newcomer offers). Default true; false = on first use. */
  autoConnect?: boolean;
  /** Per-peer cap on RTCPeerConnections (default by `peerKind`: phone 8, desktop 32, node 64); see docs/architecture.md "Overlay". */
  maxLinks?: number;
  /** What this peer runs on, for the default `maxLinks` (default `node`). */
  peerKind?: PeerKind;
  /** Signaling timeout: a DataChannel not open after this long falls back to the server (5000 ms). */
  connectTimeoutMs?: number;
  /** ICE `disconnected` grace before restartIce / a fresh connection (4000 ms). */
  disconnectGraceMs?: number;
  /** Largest message sent or accepted, bytes (64 MiB). */
  maxMessageBytes?: number;
  /** `link-report` interval (10 s); changes are reported within 250 ms anyway. */
  linkReportMs?: number;
  /** On `peer-left` for a peer with an open DataChannel, ping it this long before dropping it (2000 ms). */
  peerLeftProbeMs?: number;
  /** Cap on any task or chat run here (10 min). */
  maxTaskMs?: number;
  /** Server-assigned tasks (`POST /api/tasks`) run at once (4); more wait in order. */
  maxConcurrentTasks?: number;
  reconnect?: { baseMs?: number; maxMs?: number };
  refreshLeadMs?: number;
  heartbeatMs?: number;
  sender?: SenderOptions;
  /**
   * Routing over peers (the `routed` tier, docs/architecture.md "Routing over peers"): limits of
   * what this peer relays for others and sends through them; `false` turns it off (this peer
   * then neither relays nor routes, and reaches peers without a link through the server).
   */
  routing?: RoutingOptions | false;
}

export type IdentityEvent =
  | { peerId: string; status: 'verified' | 'key-changed'; identity: PublicIdentity; keyDerived: boolean; firstContact: boolean }
  | { peerId: string; status: 'refused'; reason: IdentityFailureReason; message: string };

export interface CallOptions {
  /** Ask the skill to stream; chunks arrive in order through `onChunk`. */
  stream?: boolean;
  /** Caller-side timeout, also sent to the peer (default 60 s). */
  timeoutMs?: number;
  onChunk?: (data: unknown) => void;
  signal?: AbortSignal;
}
/** `agentChannel`: the agent whose own DataChannel carried the request (absent: the link's main channel or the relay). */
/** `hops`: how many hops it took on the `routed` tier (absent on the others). */
export interface CallResult { output: unknown; peerId: string; tier: Tier; hops?: number; ms: number; agentChannel?: string }
export interface ChatResult { text: string; peerId: string; tier: Tier; hops?: number; ms: number; agentChannel?: string }
export interface PingResult { rttMs: number; peerId: string; tier: Tier; hops?: number }
export interface PeerInfo { peerId: string; role: Role | undefined; present: boolean; link: RouteInfo }

export interface MeshEvents {
  signaling: { state: 'open' | 'connecting' | 'stopped'; resumed?: boolean; code?: number; reason?: string };
  /** A peer is (again) connected to the signaling server. */
  'peer-joined': { peerId: string; role: Role };
  'peer-left': { peerId: string; reason: string };
  /** A link's state, tier or generation changed. */
  link: RouteInfo;
  status: { peerId: string } & MeshPayload<'status'>;
  /** A task this peer submitted through the server (`POST /api/tasks`) finished, failed or expired. */
  'task-updated': Task;
  /**
   * A peer's link proof on a new DataChannel: `verified`, `key-changed` (pinned plain name with a
   * new key, policy `warn`), or `refused` (the peer is cut off until it rejoins; `error` fires too).
   */
  identity: IdentityEvent;
  /** Non-fatal trouble worth logging: remote `error` messages, bad frames, server errors. */
  error: { code: string; message: string; peerId?: string };
  /** The mesh stopped itself (credential revoked or rejected). */
  fatal: MeshError;
}

export interface Mesh extends Pick<Emitter<MeshEvents>, 'on'> {
  /** This peer's id (known after the first welcome). */
  readonly peerId: string | undefined;
  /** Joins; resolves on the first welcome, rejects if the credential is refused. */
  start(): Promise<{ peerId: string; mesh: string; peers: string[] }>;
  /** Says bye to every peer, fails pending calls with `stopped`, closes everything. */
  stop(): Promise<void>;
  peers(): PeerInfo[];
  links(): RouteInfo[];
  /** Opens (or waits for) the DataChannel to `peerId`; when p2p fails, the way over other peers (`routed`) or the server fallback (default 10 s). */
  connect(peerId: string, opts?: { timeoutMs?: number }): Promise<RouteInfo>;
  /** Runs `skill` on `peerId` with `input`; same API on every tier. */
  call(peerId: string, skill: string, input: unknown, opts?: CallOptions): Promise<CallResult>;
  /** Application-level round trip (default timeout 5 s). */
  ping(peerId: string, opts?: { timeoutMs?: number }): Promise<PingResult>;
  /** Sends chat text to `peerId`'s chat skill; streamed replies arrive through `onChunk` (default 120 s). */
  chat(peerId: string, text: string, opts?: { agent?: string; timeoutMs?: number; onChunk?: (text: string) => void; signal?: AbortSignal }): Promise<ChatResult>;
  /** The agents and skills `peerId` offers (default timeout 10 s). */
  skills(peerId: string, opts?: { timeoutMs?: number }): Promise<AgentInfo[]>;
  /** What this peer relayed for others over its DataChannels, and what it refused (undefined: routing is off). */
  relayStats(): RelayStats | undefined;
  /** Tells every reachable peer our status (fire and forget). */
  setStatus(status: MeshPayload<'status'>): void;
}
