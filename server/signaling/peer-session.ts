import type { IceServer, Link, Role } from '../protocol.ts';

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
