import { createBackoff } from '../../../protocol/backoff.ts';
import type { PeerLink, PeerLinkState } from '../link/peer-link-types.ts';
import type { Clock } from '../platform.ts';
import type { PeerRoute, PeerRouteOptions } from './peer-route-types.ts';

/** After the link cap refused or evicted this peer, p2p is tried again only on traffic after this long. */
const CAP_RETRY_MS = 60_000;

export interface P2pPolicyOptions {
  options: PeerRouteOptions;
  clock: Clock;
  link: PeerLink;
  /** The route this policy decides for (for the link cap and presence). */
  route(): PeerRoute;
  closed(): boolean;
  changed(): void;
  setError(reason: string): void;
}

export type P2pPolicy = ReturnType<typeof createP2pPolicy>;

/**
 * When a route tries a DataChannel and when it settles for the server: the local and remote p2p
 * switches, the link cap (refused or evicted: fallback for CAP_RETRY_MS), and background retries
 * of a failed link with full-jitter backoff (1 s .. 30 s).
 */
export function createP2pPolicy(p: P2pPolicyOptions) {
  const { options: o, clock, link } = p;
  const backoff = createBackoff({ baseMs: o.retry?.baseMs ?? 1000, maxMs: o.retry?.maxMs ?? 30_000 });
  let mode: 'p2p' | 'fallback' = o.p2p ? 'p2p' : 'fallback';
  let remoteDisabled = false;
  let capUntil = 0;
  let retryTimer: unknown;

  const relayUp = () => o.signaling.state === 'open';
  const canP2p = () => o.p2p && !remoteDisabled && !p.closed();

  function capped(): void {
    capUntil = clock.now() + CAP_RETRY_MS;
    mode = 'fallback';
    p.changed();
  }

  function scheduleRetry(): void {
    clock.clear(retryTimer);
    retryTimer = undefined;
    if (!canP2p() || capUntil > clock.now()) return;
    retryTimer = clock.set(() => {
      retryTimer = undefined;
      if (p.route().present && relayUp()) connect();
      else scheduleRetry();
    }, backoff.next());
  }

  /** True when an offer went out; `repair`: an overlay repair link (only into a free slot, at either end). */
  function connect(repair?: boolean): boolean {
    if (!canP2p() || link.state !== 'idle' || !relayUp() || capUntil > clock.now()) return false;
    capUntil = 0;
    if (!o.acquireSlot(p.route(), repair)) return (capped(), false);
    link.connect(repair);
    return true;
  }

  return {
    get mode() {
      return mode;
    },
    /** A cap refusal has run out: traffic should try p2p again. */
    capExpired: () => capUntil !== 0 && capUntil <= clock.now(),
    connect,
    capped,
    linkState(state: PeerLinkState): void {
      if (state === 'open') {
        mode = 'p2p';
        backoff.reset();
        clock.clear(retryTimer);
        retryTimer = undefined;
      } else if (state === 'idle') {
        mode = 'fallback';
        scheduleRetry();
      }
    },
    /** The peer said bye (its link is already closed here); `open`: a link ended (open until now, or its DataChannel closed just before), not our offer refused. */
    bye(reason: string | undefined, open: boolean): void {
      if (reason === 'link-cap') return (capped(), o.capped(open));
      mode = 'fallback';
      if (reason === 'p2p-disabled') remoteDisabled = true;
      return p.changed();
    },
    /**
     * An offer arrived: false when it was refused (and the peer told why). A refused `repair` offer
     * leaves our own traffic to that peer free to open a link on demand (it was not ours to refuse).
     */
    offer(repair: boolean | undefined): boolean {
      if (!o.p2p) return (o.signaling.send({ type: 'bye', to: p.route().peerId, payload: { reason: 'p2p-disabled' } }), false);
      remoteDisabled = false;
      if (link.state === 'idle' && !o.acquireSlot(p.route(), repair)) {
        o.signaling.send({ type: 'bye', to: p.route().peerId, payload: { reason: 'link-cap' } });
        p.setError('refused an offer: link cap reached');
        if (!repair) capped();
        return false;
      }
      return true;
    },
    /**
     * The peer reaches us through the server, so it can hear us that way too: answer on the
     * fallback tier now instead of waiting out a DataChannel attempt it may never complete.
     */
    relayed(): void {
      if (mode === 'p2p' && link.state !== 'open') {
        mode = 'fallback';
        connect();
        p.changed();
      }
    },
    signalingChanged(): void {
      if (relayUp() && mode === 'fallback' && link.state === 'idle' && retryTimer === undefined) scheduleRetry();
    },
    rejoined(): void {
      remoteDisabled = false;
    },
    stop(): void {
      clock.clear(retryTimer);
    },
  };
}
