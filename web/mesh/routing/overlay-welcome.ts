import type { Clock } from '../platform.ts';
import type { PeerRoute } from './peer-route-types.ts';

/**
 * After the first welcome link opened, how long the other welcome peers may take to become
 * reachable over peers (the `routed` tier) before their links are negotiated through the server,
 * ms. The first neighbour's `routes` arrive within one announce interval (250 ms) and a change
 * travels one hop per interval, so 2 s covers the 4 hops the table reaches (with the wait below)
 * and leaves room for a busy peer; a peer the overlay does not know by then costs the server what
 * it always did.
 */
export const WELCOME_ROUTED_WAIT_MS = 2000;

/**
 * How long the first welcome link may take to open before the others are negotiated through the
 * server anyway, ms: beyond the link's own connect timeout (5 s by default), so this only catches
 * a first link that never started (its connect was a no-op).
 */
export const WELCOME_FIRST_WAIT_MS = 8000;

/**
 * We see a peer over others before it sees us: our first neighbour announces us only after our
 * own first announcement reached it, and each further hop takes another announce interval
 * (250 ms, peer-overlay.ts). An offer sent before the peer can route back to us gets its answer
 * and candidates through the server, so a peer `h` hops away is offered to (h - 1) × HOP_MS later
 * (an announce interval plus room for timers that run late on a busy peer).
 */
const HOP_MS = 400;

/** Opens the links a `welcome` asked for beyond the first one (the caller opens that one through the server). */
export type WelcomeLinks = (connects: readonly PeerRoute[]) => void;

/**
 * A server that only introduces (issue 18): a joining peer opens its first welcome link through
 * the server; each other welcome peer gets its link once the distance vector that first link
 * brings shows a way to it over peers (and that way back has had time to form), so offer, answer
 * and candidates travel sealed over peers (route-signal.ts) and cost the server nothing. A peer
 * not reachable that way within WELCOME_ROUTED_WAIT_MS, or every peer when the first link fails,
 * is connected through the server as before. One batch per mesh at a time: a new welcome
 * (signaling reconnect) replaces the old batch. A closed route (the mesh stopped, the peer left)
 * is never connected: its connect() is a no-op.
 */
export function createWelcomeLinks(clock: Clock, waitMs = WELCOME_ROUTED_WAIT_MS, firstWaitMs = WELCOME_FIRST_WAIT_MS): WelcomeLinks {
  let cancel: () => void = () => undefined;
  return ([first, ...rest]) => {
    cancel();
    if (!first || !rest.length) return;
    const waiting = new Set(rest);
    const timers = new Set<unknown>();
    const queue: PeerRoute[] = [];
    const offs: Array<() => void> = [];
    let firstUp = false;
    let firstStarted = first.link.state !== 'idle';
    let turn: unknown;
    let deadline: unknown;

    const done = () => {
      for (const off of offs.splice(0)) off();
      for (const t of [deadline, turn, ...timers]) clock.clear(t);
      timers.clear();
      waiting.clear();
      queue.length = 0;
    };
    cancel = done;
    const settle = () => !waiting.size && !queue.length && !timers.size && done();

    /** One connect per task, as for the first link (an RTCPeerConnection and its offer each). */
    const pump = () => {
      turn = undefined;
      const route = queue.shift();
      if (route && !route.error) route.connect();
      if (queue.length) turn = clock.set(pump, 0);
      else settle();
    };
    const connect = (route: PeerRoute) => {
      waiting.delete(route);
      queue.push(route);
      turn ??= clock.set(pump, 0);
    };
    const later = (route: PeerRoute, ms: number) => {
      waiting.delete(route);
      const t = clock.set(() => (timers.delete(t), connect(route)), ms);
      timers.add(t);
    };
    /** Everyone still waiting goes through the server (or over peers, if a way turned up). */
    const fallBack = () => {
      [...waiting].forEach(connect);
      settle();
    };

    /** A waiting route: gone or linked some other way (their offer, a call) needs nothing; reachable over peers gets its link. */
    const check = (route: PeerRoute) => {
      if (!waiting.has(route)) return;
      const info = route.info;
      if (route.error || route.link.state !== 'idle') waiting.delete(route);
      else if (firstUp && info.tier === 'routed') later(route, ((info.hops ?? 2) - 1) * HOP_MS);
      settle();
    };

    const firstChanged = () => {
      if (firstUp) return;
      const state = first.link.state;
      if (state === 'open') {
        firstUp = true;
        clock.clear(deadline);
        deadline = clock.set(fallBack, waitMs);
        return [...waiting].forEach(check);
      }
      if (state === 'connecting') return void (firstStarted = true);
      // The first link failed (or its route closed): the server introduces the rest, as before.
      if (firstStarted || first.error) fallBack();
    };

    offs.push(first.link.on('state', firstChanged), first.on('change', firstChanged));
    for (const route of rest) offs.push(route.on('change', () => check(route)));
    deadline = clock.set(fallBack, firstWaitMs);
    firstChanged();
    [...waiting].forEach(check);
  };
}
