import { describe, expect, it } from 'vitest';
import type { ClientFrame } from '../../protocol/index.ts';
import { lazyObject } from '../../web/mesh/lazy-module.ts';
import { createLazyIceRecovery } from '../../web/mesh/link/lazy-link-recovery.ts';
import type { LinkConnection } from '../../web/mesh/link/link-state.ts';
import { clockOf } from '../../web/mesh/platform.ts';
import { createLazySessionUpkeep } from '../../web/mesh/signaling/lazy-session-upkeep.ts';

const clock = clockOf({ now: Date.now });

describe('lazyObject', () => {
  it('runs calls made while loading once each, in order, and keeps them over a failed load for the next call', async () => {
    let attempts = 0;
    const ran: string[] = [];
    let loaded = () => undefined as void;
    const obj = lazyObject(async () => {
      if (++attempts === 1) throw new Error('offline');
      return { tag: 'm' };
    }, (m) => ({ say: (s: string) => void (ran.push(`${m.tag}:${s}`), loaded()) }));
    expect(obj.touched()).toBe(false);
    obj.use((o) => o.say('a'));
    obj.use((o) => o.say('b'));
    expect(obj.touched()).toBe(true);
    // The first load fails (nothing runs); the next call loads again and runs all three in order.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(ran).toEqual([]);
    await new Promise<void>((resolve) => {
      loaded = () => void (ran.length === 3 && resolve());
      obj.use((o) => o.say('c'));
    });
    expect(ran).toEqual(['m:a', 'm:b', 'm:c']);
    obj.use((o) => o.say('d'));
    expect(ran).toEqual(['m:a', 'm:b', 'm:c', 'm:d']);
    expect(attempts).toBe(2);
  });
});

describe('the session upkeep loaded on first use', () => {
  it('starts heartbeats on a welcome made while it loads, and a stop right after it wins', async () => {
    const frames: ClientFrame[] = [];
    let beat = () => undefined as void;
    const make = (load: number) =>
      createLazySessionUpkeep({
        clock, heartbeatMs: 5, load: () => load, getToken: async () => 't', socket: () => 1, open: () => true, fatal: () => undefined,
        send: (f) => void (frames.push(f), beat()),
      });
    const stopped = make(1);
    stopped.start(Date.now(), Date.now() + 3_600_000);
    stopped.stop();
    const upkeep = make(3);
    await new Promise<void>((resolve) => {
      beat = () => void (frames.length >= 4 && resolve());
      upkeep.start(Date.now(), Date.now() + 3_600_000);
    });
    upkeep.stop();
    // Only the second upkeep beat (the first was stopped before its module ran it).
    expect(frames.slice(0, 4)).toEqual(Array(4).fill({ type: 'heartbeat', payload: { load: 3 } }));
  });
});

describe('the ICE recovery loaded on first use', () => {
  it('restarts the connection a drop happened to, and drops what a replaced connection asked', async () => {
    const restarted: string[] = [];
    const pc = (name: string) => ({ name, restartIce: () => void restarted.push(name) }) as unknown as RTCPeerConnection;
    const link = { pc: pc('old'), state: 'open' } as unknown as LinkConnection;
    const offered = new Promise<string>((resolve) => {
      const ice = createLazyIceRecovery({
        clock, connectTimeoutMs: 60_000, graceMs: 60_000, link, canRestart: () => true, down: () => undefined,
        makeOffer: async (p) => resolve((p as unknown as { name: string }).name),
      });
      ice.recover('ICE failed');
      link.pc = pc('new');
      ice.recover('ICE failed');
    });
    expect(await offered).toBe('new');
    expect(restarted).toEqual(['new']);
    clock.clear(link.connectTimer);
  });
});
