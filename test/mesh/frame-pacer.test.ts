import { describe, expect, it } from 'vitest';
import { MeshError } from '../../web/mesh/errors.ts';
import { createFramePacer } from '../../web/mesh/signaling/frame-pacer.ts';
import type { Clock } from '../../web/mesh/platform.ts';

/** A clock that only moves when told; timers fire in order as it passes them. */
function manualClock() {
  let t = 0;
  let timers: Array<{ at: number; fn: () => void; id: number }> = [];
  let ids = 0;
  const clock: Clock = {
    now: () => t,
    elapsed: () => t,
    set: (fn, ms) => (timers.push({ at: t + ms, fn, id: ++ids }), ids),
    clear: (id) => void (timers = timers.filter((x) => x.id !== id)),
  };
  const advance = (ms: number) => {
    const end = t + ms;
    for (;;) {
      const next = timers.filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      timers = timers.filter((x) => x !== next);
      t = next.at;
      next.fn();
    }
    t = end;
  };
  return { clock, advance };
}

const relay = (n: number) => `{"type":"relay","to":"x","payload":"${'x'.repeat(n)}"}`;

describe('frame pacer', () => {
  it('paces relay frames by bytes (80 % of the server\'s relay rate), apart from the frame rate', async () => {
    const { clock, advance } = manualClock();
    const written: string[] = [];
    // 10 frames/s would allow 8 relay frames a second if they shared it; 1 MB/s of bytes allows far more.
    const pacer = createFramePacer((t) => written.push(t), { ratePerSec: 10, relayBytesPerSec: 1_000_000, maxFrameBytes: 65_536 }, clock);
    const sent = Array.from({ length: 40 }, () => pacer.data(relay(10_000)));
    // The burst is 800 KB (a second at 80 %): 79 frames of ~10 KB would fit; 40 go at once.
    await Promise.all(sent);
    expect(written).toHaveLength(40);
    // Past the burst, the rest waits for bytes to refill: ~12.5 ms per 10 KB frame at 800 KB/s.
    const more = Array.from({ length: 60 }, () => pacer.data(relay(10_000)));
    expect(written.length).toBeLessThan(100);
    advance(1000);
    await Promise.all(more);
    expect(written).toHaveLength(100);
    pacer.reset(new MeshError('stopped', 'done'));
  });

  it('lets control frames through while relay bytes wait, and without a relay rate shares the frame rate as before', () => {
    const { clock, advance } = manualClock();
    const written: string[] = [];
    const pacer = createFramePacer((t) => written.push(t), { ratePerSec: 100, relayBytesPerSec: 65_536, maxFrameBytes: 65_536 }, clock);
    for (let i = 0; i < 3; i++) void pacer.data(relay(60_000)).catch(() => undefined);
    expect(written).toHaveLength(1);
    pacer.control('{"type":"offer"}');
    expect(written.at(-1)).toBe('{"type":"offer"}');
    pacer.reset(new MeshError('stopped', 'done'));

    const old: string[] = [];
    const shared = createFramePacer((t) => old.push(t), { ratePerSec: 10, maxFrameBytes: 65_536 }, clock);
    for (let i = 0; i < 20; i++) void shared.data(relay(10)).catch(() => undefined);
    shared.control('{"type":"offer"}');
    // Burst 10 frames; the control frame goes ahead of the relay frames still queued.
    expect(old).toHaveLength(10);
    advance(130);
    expect(old[10]).toBe('{"type":"offer"}');
    shared.reset(new MeshError('stopped', 'done'));
  });
});
