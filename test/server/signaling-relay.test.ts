import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloseCode } from '../../protocol/index.ts';
import { createFrameGate } from '../../server/signaling/frame-gate.ts';
import { createRelayHarness } from './support/relay-harness.ts';
import { idFor } from '../helpers/test-identity.ts';

/**
 * An ICE lookup hook that holds every join until `release()`; `reached(n)` resolves once `n`
 * joins are parked in it, i.e. past the token check and before they register.
 */
function parkedLookup() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let parked = 0;
  const watchers: Array<[number, () => void]> = [];
  return {
    release,
    reached: (n: number) => new Promise<void>((r) => (parked >= n ? r() : watchers.push([n, r]))),
    hook: async () => {
      parked += 1;
      for (const [n, r] of watchers) if (parked >= n) r();
      await gate;
      return [];
    },
  };
}

describe('signaling relay joins', () => {
  it('registers both of two peers that join a new mesh at the same time', async () => {
    const lookup = parkedLookup();
    const h = createRelayHarness({ hooks: { iceServersFor: lookup.hook } });
    const a = h.connect();
    const b = h.connect();
    a.send({ type: 'hello', token: await h.token('a', 'fresh') });
    b.send({ type: 'hello', token: await h.token('b', 'fresh') });
    await lookup.reached(2);
    lookup.release();
    await Promise.all([a.next('welcome'), b.next('welcome')]);
    expect(h.relay.peers('fresh').map((p) => p.peerId).sort()).toEqual([idFor('a'), idFor('b')].sort());
    a.send({ type: 'relay', to: idFor('b'), payload: 1 });
    expect(await b.next('relay')).toMatchObject({ from: idFor('a'), payload: 1 });
    a.socket.close(1000, 'bye');
    await b.next('peer-left');
    expect(h.metrics.peers.get()).toBe(1);
  });

  it('re-checks the mesh size after the async lookups: the second of two racing joins gets 1008', async () => {
    const lookup = parkedLookup();
    const h = createRelayHarness({ maxPeersPerMesh: 1, hooks: { iceServersFor: lookup.hook } });
    const a = h.connect();
    const b = h.connect();
    a.send({ type: 'hello', token: await h.token('a') });
    b.send({ type: 'hello', token: await h.token('b') });
    await lookup.reached(2);
    lookup.release();
    const outcomes = await Promise.race([
      Promise.all([a.next('welcome'), b.whenClosed()]),
      Promise.all([b.next('welcome'), a.whenClosed()]),
    ]);
    expect(outcomes[1]).toEqual({ code: CloseCode.meshFull, reason: 'mesh is full (1 peers)' });
    expect(h.relay.peers('default')).toHaveLength(1);
  });

  it('re-checks the peer id after the async lookups: a racing duplicate gets 4409', async () => {
    const lookup = parkedLookup();
    const h = createRelayHarness({ hooks: { iceServersFor: lookup.hook } });
    const token = await h.token('same');
    const a = h.connect();
    const b = h.connect();
    a.send({ type: 'hello', token });
    b.send({ type: 'hello', token });
    await lookup.reached(2);
    lookup.release();
    const closed = await Promise.race([a.whenClosed(), b.whenClosed()]);
    expect(closed.code).toBe(CloseCode.duplicatePeer);
    expect(h.relay.peers('default')).toHaveLength(1);
  });

  it('keeps the auth timeout running through a token check that never finishes', async () => {
    const h = createRelayHarness({ authTimeoutMs: 50, hooks: { isRevoked: () => new Promise<boolean>(() => undefined) } });
    const p = h.connect();
    p.send({ type: 'hello', token: await h.token('slow') });
    expect(await p.whenClosed()).toEqual({ code: CloseCode.timeout, reason: 'no welcome within auth timeout' });
  });
});

describe('signaling relay survives failing control-plane hooks', () => {
  it('logs throwing and rejecting hooks and carries on', async () => {
    const boom = () => {
      throw new Error('hook exploded');
    };
    const h = createRelayHarness({
      hooks: {
        onJoin: boom,
        onLeave: boom,
        onHeartbeat: () => Promise.reject(new Error('async hook rejected')) as unknown as void,
        onLinkReport: boom,
        iceServersFor: () => Promise.reject(new Error('turn down')),
      },
    });
    const a = await h.joinAs('a');
    expect(a.welcome.iceServers).toEqual([]);
    const b = await h.joinAs('b');
    b.send({ type: 'heartbeat', payload: { load: 1 } });
    b.send({ type: 'link-report', payload: { links: [{ peer: idFor('a'), state: 'open', tier: 'direct' }] } });
    b.send({ type: 'relay', to: idFor('a'), payload: 'still relaying' });
    expect(await a.next('relay')).toMatchObject({ payload: 'still relaying' });
    b.socket.close(1000, 'bye');
    await a.next('peer-left');
    await vi.waitFor(() => expect(h.logs.join('\n')).toContain('async hook rejected'));
    const logs = h.logs.join('\n');
    for (const hook of ['onJoin hook failed', 'onLeave hook failed', 'onLinkReport hook failed', 'ICE server lookup failed']) expect(logs).toContain(hook);
  });

  it('closes with 1011 when the revocation check itself fails', async () => {
    const h = createRelayHarness({ hooks: { isRevoked: () => Promise.reject(new Error('store down')) } });
    const p = h.connect();
    p.send({ type: 'hello', token: await h.token('x') });
    expect(await p.whenClosed()).toEqual({ code: CloseCode.internalError, reason: 'authentication failed' });
  });

  it('closes with 4403 for a revoked credential, at hello and on refresh', async () => {
    let revoked = false;
    const h = createRelayHarness({ hooks: { isRevoked: async () => revoked } });
    const p = await h.joinAs('r');
    revoked = true;
    p.send({ type: 'auth', token: await h.token('r') });
    expect(await p.whenClosed()).toEqual({ code: CloseCode.revoked, reason: 'credential revoked' });
    const q = h.connect();
    q.send({ type: 'hello', token: await h.token('q') });
    expect((await q.whenClosed()).code).toBe(CloseCode.revoked);
  });
});

describe('signaling relay lifecycle', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('refuses sockets that arrive after closeAll with 1001', async () => {
    const h = createRelayHarness();
    const a = await h.joinAs('a');
    h.relay.closeAll(CloseCode.goingAway, 'server shutting down');
    expect(a.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    const late = h.connect();
    expect(late.closed).toEqual({ code: 1001, reason: 'server shutting down' });
    await Promise.resolve();
    expect(h.relay.connectionCount()).toBe(0);
  });

  it('clips a close reason to the 123 bytes WebSockets allow instead of failing to close', async () => {
    const h = createRelayHarness();
    const p = h.connect({ closeThrowsOverBytes: 123 });
    p.send({ type: 'hello', token: await h.token('kicked') });
    await p.next('welcome');
    expect(h.relay.kick('default', idFor('kicked'), CloseCode.revoked, 'ü'.repeat(100))).toBe(true);
    expect(p.closed?.code).toBe(CloseCode.revoked);
    expect(new TextEncoder().encode(p.closed!.reason).byteLength).toBeLessThanOrEqual(123);
  });

  it('refuses a refreshed token for another role', async () => {
    const h = createRelayHarness();
    const p = await h.joinAs('p');
    p.send({ type: 'auth', token: await h.token('p', 'default', 'admin') });
    expect(await p.next('error')).toMatchObject({ code: 'bad-token' });
    expect(p.closed).toBeUndefined();
  });

  it('pings sockets that can ping and closes them 4408 once they stop answering', async () => {
    vi.useFakeTimers();
    const h = createRelayHarness({ idleTimeoutMs: 3000 });
    const pinging = await h.joinAs('pinging', 'default', { ping: true });
    const answering = await h.joinAs('answering', 'default', { ping: true });
    // A socket whose runtime pings by itself (Deno) is left to the runtime's idle timeout.
    const selfManaged = await h.joinAs('self-managed');
    for (let i = 0; i < 6; i++) {
      h.clock.now += 1000;
      vi.advanceTimersByTime(1000);
      answering.conn.alive();
    }
    expect(pinging.pings).toBeGreaterThanOrEqual(2);
    expect(pinging.closed).toEqual({ code: CloseCode.timeout, reason: 'idle timeout' });
    expect(answering.closed).toBeUndefined();
    expect(selfManaged.closed).toBeUndefined();
  });
});

describe('frame gate', () => {
  it('admits a burst of 2 × rate, tells the first drop and every 100th, and closes on sustained excess', () => {
    let now = 0;
    const gate = createFrameGate(10, () => now);
    const results = Array.from({ length: 20 }, () => gate.admit());
    expect(results.every((r) => r.admit)).toBe(true);
    const drops = Array.from({ length: 40 }, () => gate.admit());
    expect(drops.every((r) => !r.admit)).toBe(true);
    expect(drops.filter((r) => !r.admit && r.notify)).toHaveLength(1);
    // 4 × rate drops are tolerated; the 41st closes.
    expect(drops.some((r) => !r.admit && r.close)).toBe(false);
    expect(gate.admit()).toEqual({ admit: false, notify: false, close: true });
    now += 1000;
    expect(gate.admit().admit).toBe(true);
  });

  it('closes a client that keeps sending at 2× the rate within ~8 s, never one at the rate', () => {
    for (const [factor, shouldClose] of [[2, true], [1, false]] as const) {
      let now = 0;
      const gate = createFrameGate(10, () => now);
      let closedAt: number | undefined;
      for (let i = 0; i < 10 * factor * 60 && closedAt === undefined; i++) {
        now = (i * 1000) / (10 * factor);
        const r = gate.admit();
        if (!r.admit && r.close) closedAt = now;
      }
      if (shouldClose) expect(closedAt).toBeLessThanOrEqual(10_000);
      else expect(closedAt).toBeUndefined();
    }
  });

  it('spends the invalid-frame budget in a burst but refills it over time', () => {
    let now = 0;
    const gate = createFrameGate(10, () => now);
    for (let i = 0; i < 20; i++) expect(gate.strike()).toBe(false);
    expect(gate.strike()).toBe(true);
    now += 3000;
    expect(gate.strike()).toBe(false);
  });
});
