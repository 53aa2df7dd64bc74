import type { TokenService } from '../auth/tokens.ts';
import type { Logger } from '../ops/logger.ts';
import type { ServerMetrics } from '../ops/server-metrics.ts';
import type { IceServer, Link, PeerSummary, Role, ServerFrame } from '../../protocol/index.ts';
import type { ClusterLink } from './cluster.ts';
import type { ReportedFailures } from './reported-failures.ts';
import type { SocketLike } from './socket.ts';

/** One authenticated peer socket. */
export interface PeerSession {
  peerId: string;
  mesh: string;
  role: Role;
  cid: string;
  joinedAt: number;
  remoteAddress: string;
}

/** Hooks for the control plane; all optional so the relay stands alone in tests. A throwing hook is logged, never fatal. */
export interface RelayHooks {
  isRevoked?(cid: string): Promise<boolean>;
  iceServersFor?(session: PeerSession): Promise<IceServer[]>;
  onJoin?(session: PeerSession): void;
  onLeave?(session: PeerSession): void;
  onHeartbeat?(session: PeerSession, load: number | undefined): void;
  onLinkReport?(session: PeerSession, links: Link[]): void;
}

/** The limits every session enforces (sent to the peer in `welcome` as they are). */
export interface RelayLimits { maxFrameBytes: number; ratePerSec: number; maxPeersPerMesh: number; relayBytesPerSec: number }

/** Where a newly authenticated session stands in its mesh: the peers it is told about first. */
export interface MeshEntry {
  listed: PeerSummary[];
  complete: boolean;
  meshSize: number;
  /** How long the mesh's topology is still watched, ms (0: not watched): the welcome's `watch`. */
  watch: number;
}

/**
 * What a session (`S`, a `SignalingSession`) may ask of the relay that owns it; generic so this
 * file imports neither of them. The relay keeps the collections (sockets, meshes, overlay
 * rings); a session reads them through `local`/`localCount` and changes its own membership only
 * through `opened`, `enter`, `joined` and `closed`.
 */
export interface SessionHost<S> {
  readonly tokens: Pick<TokenService, 'verify'>;
  readonly authTimeoutMs: number;
  readonly limits: RelayLimits;
  readonly presenceIntervalMs: number;
  readonly now: () => number;
  readonly hooks: RelayHooks;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** Set once the relay joins a cluster (several instances on Redis). */
  readonly cluster: ClusterLink | undefined;
  /** Counts peer-reported identity failures, capped per reporter. */
  readonly reportedFailures: ReportedFailures;
  /** Runs hook code so that neither a throw nor a rejected promise can take the process down. */
  guard(what: string, fn: () => unknown): void;
  send(socket: SocketLike, frame: ServerFrame): void;
  sendText(socket: SocketLike, text: string): void;
  /** The open session of `peerId` in `mesh` on this instance. */
  local(mesh: string, peerId: string): S | undefined;
  /** Open sessions of `mesh` on this instance. */
  localCount(mesh: string): number;
  /** Peers of `mesh` here and (in a cluster) on other instances. */
  meshSize(mesh: string): number;
  /** A socket was accepted (counted until `closed`). */
  opened(s: S): void;
  /** Enters an authenticated session (its `session` set) into its mesh; says whom it is told about. */
  enter(s: S): MeshEntry;
  /** Tells the peers that should hear of `s` (all of a small mesh, else its neighbours) that it joined. */
  joined(s: S, entry: MeshEntry): void;
  /** The socket closed: uncounts it and, if it was in a mesh, removes it and announces it left. */
  closed(s: S): void;
}
