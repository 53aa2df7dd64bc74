import type { MeshMessage, Tier } from '../../../../protocol/index.ts';
import type { AgentChannels } from '../../channel/agent-channels.ts';
import type { Emitter } from '../../emitter.ts';
import type { MessageBytes } from '../../channel/framing.ts';
import type { SendReceipt } from '../../calls/message-factory.ts';
import type { PeerLink } from '../../link/peer-link-types.ts';
import type { PeerRouteEvents, PeerRouteOptions } from '../peer-route-types.ts';
import type { RelaySeal } from '../relay-seal.ts';

/** Which transport carries messages now, on which tier; the generation changes when it is replaced. */
export interface TransportPick {
  transport: RouteTransport;
  tier: Tier;
  generation: string;
  /** Hops to the peer on the `routed` tier (2 or more). */
  hops?: number;
}

/**
 * One way of carrying a peer's messages. The route asks each registered transport in turn
 * (transports/index.ts) and uses the first that can carry a message now.
 */
export interface RouteTransport {
  /** The transport is the peer's DataChannel link (else the route may try p2p again while using it). */
  readonly usesLink: boolean;
  /** Whether a message can go now, and on which tier; undefined when it cannot. */
  pick(): TransportPick | undefined;
  /**
   * Sends one encoded message; rejects with `link-down` / `signaling-lost` when the transport died
   * under it. `msg` is undefined for a link-level message (a routed negotiation frame).
   */
  send(msg: MeshMessage | undefined, bytes: MessageBytes, length: number, pick: TransportPick): Promise<SendReceipt>;
  /** The remote proved its key on this transport. */
  readonly verified: boolean;
  /** Message bytes carried so far, both ways. */
  readonly bytes: { sent: number; received: number };
  /** A frame the server relayed from the peer (transports that receive through the server). */
  receiveRelay?(payload: unknown): void;
  /** A payload other peers carried from the peer (`hop` body: a seal-hello or sealed frame). */
  receiveHop?(body: unknown): void;
  /** The peer (re)joined the server: forget per-session state. */
  rejoined?(): void;
  close?(): void;
}

/** What a transport gets from the route it serves. */
export interface TransportContext {
  options: PeerRouteOptions;
  link: PeerLink;
  agents: AgentChannels;
  events: Emitter<PeerRouteEvents>;
  /** The pair's end-to-end seal, one per route: shared by every transport that carries sealed frames. */
  seal: RelaySeal;
  /** The route's policy allows the server fallback now (p2p failed, is disabled, or the cap refused it). */
  fallbackAllowed(): boolean;
  closed(): boolean;
  /** An encoded inbound message arrived. */
  deliver(bytes: Uint8Array): void;
  /** Something that decides the route's info changed. */
  changed(): void;
}

export type TransportFactory = (ctx: TransportContext) => RouteTransport;
