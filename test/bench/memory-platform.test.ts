import { describe, expect, it } from 'vitest';
import { simulateCore } from '../../bench/overlay-sim/core-sim.ts';
import { seeded } from '../../bench/lib/seeded.ts';

// 40 peers: over 33, so later welcomes list neighbours rather than everyone.
describe('mesh cores on the in-memory platform (overlay-sim)', () => {
  it('forms a connected overlay through the real server and keeps it after leaves', async () => {
    const run = await simulateCore(40, () => 64, (i) => i % 10 === 0, seeded(5), () => undefined);
    expect(run.joined.connected).toBe(true);
    expect(run.joined.links.min).toBeGreaterThanOrEqual(8);
    expect(run.leavers).toBe(4);
    expect(run.churned.connected).toBe(true);
    // One welcome per join; links were negotiated through the server (not all of them: once a
    // peer is reached over others, either side may send its half over peers instead).
    expect(run.perJoin.byType.welcome).toBe(1);
    expect(run.perJoin.byType.offer).toBeGreaterThan(1);
    expect(run.perJoin.byType.answer).toBeGreaterThan(1);
    // Identity proofs crossed the stand-in DataChannels.
    expect(run.perJoin.channelMessages).toBeGreaterThan(0);
  }, 60_000);

  it('keeps every peer within its maxLinks', async () => {
    const run = await simulateCore(40, () => 4, () => false, seeded(6), () => undefined);
    expect(run.joined.links.max).toBeLessThanOrEqual(4);
    expect(run.joined.links.max).toBeGreaterThan(0);
  }, 60_000);
});
