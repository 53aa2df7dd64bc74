import { describe, expect, it } from 'vitest';
import { lazyModule } from '../../web/mesh/lazy-module.ts';
import { lazyTransport } from '../../web/mesh/routing/transports/lazy-transport.ts';
import type { RouteTransport, TransportContext } from '../../web/mesh/routing/transports/route-transport.ts';

function context(errors: string[]): TransportContext {
  return { seal: { verified: false }, events: { emit: (_t: string, e: { code: string }) => void errors.push(e.code) } } as unknown as TransportContext;
}

describe('a transport loaded on first use', () => {
  it('hands over payloads that came while it loaded in the order they came, and retries a failed load with the next one', async () => {
    const got: unknown[] = [];
    const errors: string[] = [];
    let attempts = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = lazyModule(async () => {
      attempts++;
      if (attempts === 1) throw new Error('offline');
      await gate;
      return { make: (): RouteTransport => ({ receiveHop: (b: unknown) => void got.push(b) }) as unknown as RouteTransport };
    });
    const t = lazyTransport(context(errors), load, (m) => m.make(), () => undefined, 'receiveHop', 'routing-unavailable');
    expect(t.bytes).toEqual({ sent: 0, received: 0 });
    t.receiveHop!('lost');
    await expect.poll(() => errors).toEqual(['routing-unavailable']);
    for (const b of [1, 2, 3]) t.receiveHop!(b);
    release();
    await expect.poll(() => got).toEqual([1, 2, 3]);
    expect(attempts).toBe(2);
    expect(t.receiveRelay).toBeUndefined();
  });
});
