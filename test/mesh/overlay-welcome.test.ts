import { describe, expect, it } from 'vitest';
import { createEmitter } from '../../web/mesh/emitter.ts';
import type { PeerLinkEvents, PeerLinkState } from '../../web/mesh/link/peer-link-types.ts';
import type { PeerRoute, PeerRouteEvents } from '../../web/mesh/routing/peer-route-types.ts';
import { createWelcomeLinks, WELCOME_FIRST_WAIT_MS, WELCOME_ROUTED_WAIT_MS } from '../../web/mesh/routing/overlay-welcome.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

/** Just what the welcome batch reads of a route: link state, tier, hops, error, and change events. */
function fakeRoute(name: string) {
  const events = createEmitter<PeerRouteEvents>();
  const linkEvents = createEmitter<PeerLinkEvents>();
  const r = {
    name, state: 'idle' as PeerLinkState, tier: 'fallback', hops: undefined as number | undefined, error: undefined as Error | undefined, connects: 0,
  };
  const route = {
    peerId: name,
    on: events.on,
    link: { get state() { return r.state; }, on: linkEvents.on },
    get info() { return { tier: r.tier, hops: r.hops }; },
    get error() { return r.error; },
    connect: () => void r.connects++,
  } as unknown as PeerRoute;
  return {
    route, r,
    link(state: PeerLinkState) { r.state = state; linkEvents.emit('state', { state }); },
    routed(hops: number) { r.tier = 'routed'; r.hops = hops; events.emit('change', route.info); },
    close() { r.error = new Error('stopped'); r.state = 'idle'; events.emit('change', route.info); },
  };
}

describe('welcome links over peers (overlay-welcome.ts)', () => {
  it('connects a welcome peer once it is routed, (hops - 1) x 400 ms later, and the rest at the deadline', () => {
    const { clock, advance, platformTimers } = createFakeClock();
    const [first, near, far, unknown] = ['first', 'near', 'far', 'unknown'].map(fakeRoute);
    createWelcomeLinks(clock)([first!.route, near!.route, far!.route, unknown!.route]);
    near!.routed(2);
    advance(5000);
    expect(near!.r.connects).toBe(0); // nothing before the first link is open
    first!.link('connecting');
    first!.link('open');
    advance(399);
    expect(near!.r.connects).toBe(0);
    advance(1);
    advance(0);
    expect(near!.r.connects).toBe(1);
    far!.routed(4);
    advance(1199);
    expect(far!.r.connects).toBe(0);
    advance(1);
    expect(far!.r.connects).toBe(1);
    expect(unknown!.r.connects).toBe(0);
    advance(WELCOME_ROUTED_WAIT_MS);
    expect([near, far, unknown].map((x) => x!.r.connects)).toEqual([1, 1, 1]);
    expect(platformTimers()).toBe(0);
  });

  it('falls back to the server for all at once when the first link fails, or never starts', () => {
    const { clock, advance, platformTimers } = createFakeClock();
    const [first, a, b] = ['first', 'a', 'b'].map(fakeRoute);
    const welcome = createWelcomeLinks(clock);
    welcome([first!.route, a!.route, b!.route]);
    first!.link('connecting');
    first!.link('idle');
    advance(0);
    advance(0);
    expect([a!.r.connects, b!.r.connects]).toEqual([1, 1]);
    expect(platformTimers()).toBe(0);

    const [first2, c] = ['first2', 'c'].map(fakeRoute);
    welcome([first2!.route, c!.route]);
    advance(WELCOME_FIRST_WAIT_MS - 1);
    expect(c!.r.connects).toBe(0);
    advance(1);
    advance(0);
    expect(c!.r.connects).toBe(1);
    expect(platformTimers()).toBe(0);
  });

  it('a stopped mesh opens nothing later, and leaves no timer behind', () => {
    const { clock, advance, platformTimers } = createFakeClock();
    const routes = ['first', 'a', 'b'].map(fakeRoute);
    createWelcomeLinks(clock)(routes.map((x) => x.route));
    routes[0]!.link('connecting');
    routes[0]!.link('open');
    routes[1]!.routed(2);
    // mesh.stop() closes every route (first one first).
    for (const x of routes) x.close();
    advance(60_000);
    expect(routes.map((x) => x.r.connects)).toEqual([0, 0, 0]);
    expect(platformTimers()).toBe(0);
  });

  it('a re-welcome replaces the batch: each peer is connected once', () => {
    const { clock, advance, platformTimers } = createFakeClock();
    const [first, a, b] = ['first', 'a', 'b'].map(fakeRoute);
    const welcome = createWelcomeLinks(clock);
    welcome([first!.route, a!.route, b!.route]);
    first!.link('connecting');
    welcome([first!.route, a!.route, b!.route]);
    first!.link('open');
    a!.routed(2);
    advance(400);
    advance(0);
    expect(a!.r.connects).toBe(1);
    // a's link is now under way; b was linked by its own offer meanwhile: neither is connected again.
    a!.r.state = 'connecting';
    b!.link('connecting');
    b!.routed(2);
    advance(60_000);
    expect([a!.r.connects, b!.r.connects]).toEqual([1, 0]);
    expect(platformTimers()).toBe(0);
  });
});
