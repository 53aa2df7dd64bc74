import { describe, expect, it } from 'vitest';
import { createSharedTimers } from '../../web/mesh/shared-timers.ts';
import { createFakeClock as fakeClock } from '../helpers/fake-clock.ts';


describe('shared timers', () => {
  it('fires each timeout at its deadline, in deadline order, through one platform timer', () => {
    const f = fakeClock();
    const timers = createSharedTimers(f.clock);
    const fired: string[] = [];
    timers.set(() => fired.push(`a@${f.clock.now()}`), 300);
    timers.set(() => fired.push(`b@${f.clock.now()}`), 100);
    timers.set(() => fired.push(`c@${f.clock.now()}`), 200);
    expect(f.platformTimers()).toBe(1);
    f.advance(99);
    expect(fired).toEqual([]);
    f.advance(300);
    expect(fired).toEqual(['b@100', 'c@200', 'a@300']);
  });

  it('never fires a cleared timeout, and sets no platform timer per call', () => {
    const f = fakeClock();
    const timers = createSharedTimers(f.clock);
    const fired: number[] = [];
    for (let i = 0; i < 1000; i++) timers.clear(timers.set(() => fired.push(i), 60_000 + i));
    // One arming for the first deadline; later (later-due) timeouts reuse it.
    expect(f.armedCount()).toBe(1);
    const kept = timers.set(() => fired.push(-1), 70_000);
    f.advance(60_000);
    expect(fired).toEqual([]);
    f.advance(10_000);
    expect(fired).toEqual([-1]);
    timers.clear(kept);
    // Nothing left: the platform timer stays off.
    expect(f.platformTimers()).toBe(0);
  });

  it('re-arms for an earlier deadline, runs the others when one throws, and disposes', async () => {
    const f = fakeClock();
    const timers = createSharedTimers(f.clock);
    const fired: string[] = [];
    timers.set(() => fired.push('late'), 1000);
    timers.set(() => {
      throw new Error('boom');
    }, 10);
    timers.set(() => fired.push('early'), 10);
    const thrown = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    f.advance(10);
    expect(fired).toEqual(['early']);
    expect(await thrown).toMatchObject({ message: 'boom' });
    timers.set(() => fired.push('set in between'), 5);
    f.advance(5);
    expect(fired).toEqual(['early', 'set in between']);
    timers.dispose();
    expect(f.platformTimers()).toBe(0);
    f.advance(2000);
    expect(fired).toEqual(['early', 'set in between']);
  });
});
