import type { ClientFrame, PeerSummary, ServerFrame, WelcomeFrame } from '../../../protocol/index.ts';
import type { Emitter } from '../emitter.ts';
import type { MeshError } from '../errors.ts';
import type { MeshPlatform } from '../platform.ts';

/** Negotiation frames as delivered by the server (with `from` stamped). */
export type SignalFrame = Extract<ServerFrame, { type: 'offer' | 'answer' | 'candidate' | 'bye' }>;
export type TaskPushFrame = Extract<ServerFrame, { type: 'task-assigned' | 'task-updated' }>;
export type SignalingState = 'idle' | 'connecting' | 'open' | 'stopped';

export interface SignalingEvents {
  /** A session began; `resumed` is true for every session after the first. */
  welcome: { frame: WelcomeFrame; resumed: boolean };
  'peer-joined': PeerSummary;
  'peer-left': { peerId: string };
  signal: SignalFrame;
  /** A tier-3 message relayed by the server; `from` is server-verified. */
  relay: { from: string; payload: unknown };
  /** An `error` frame (e.g. unknown-peer with `ref` = peer id), or a frame we could not parse. */
  'server-error': { code: string; message: string; ref?: string };
  task: TaskPushFrame;
  /** The socket closed; a reconnect is scheduled in `retryInMs`. Open DataChannels are unaffected. */
  disconnected: { code: number; reason: string; retryInMs: number };
  /** Stopped for good (credential revoked or rejected). */
  fatal: MeshError;
  'token-refreshed': { expiresAt: number };
  /** A `welcome` or `presence` frame's `watch`: the server wants link changes reported for this many ms (0: only periodically). */
  watch: number;
}

export interface SignalingOptions {
  /** The signaling endpoint, ws(s)://host/ws. */
  url: string;
  platform: MeshPlatform;
  /** Fresh JWT for every (re)connect and refresh; reject with `retryable: false` to give up. */
  getToken: () => Promise<string>;
  /** Reconnect backoff (full jitter): base 250 ms, cap 15 s. */
  backoff?: { baseMs?: number; maxMs?: number; random?: () => number };
  /** Give up on a socket that has no welcome after this long (default 10 s). */
  welcomeTimeoutMs?: number;
  /** Refresh the token this long before it expires (default 20 % of what is left, at least 5 s). */
  refreshLeadMs?: number;
  /** `heartbeat` frame interval (default 30 s); `load` is reported with it. */
  heartbeatMs?: number;
  load?: () => number;
}

export interface SignalingClient extends Pick<Emitter<SignalingEvents>, 'on'> {
  readonly state: SignalingState;
  /** The current session's welcome (undefined before the first). */
  readonly session: WelcomeFrame | undefined;
  /** Connects and keeps reconnecting until `stop`. */
  start(): void;
  stop(): void;
  /** Queues a control frame (paced under the server's rate limit); false when not connected. */
  send(frame: ClientFrame): boolean;
  /** Relays a mesh message through the server; waits for queue space, rejects if the socket drops. */
  relay(to: string, payload: unknown): Promise<void>;
}
