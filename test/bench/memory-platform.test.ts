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
    // One welcome per join; every joiner but the first negotiated its first link through the
    // server (it had no neighbour yet); the others go over peers once reached that way, so how
    // many more the server saw depends on timing (test/mesh/welcome-over-peers.test.ts bounds it).
    expect(run.perJoin.byType.welcome).toBe(1);
    expect(run.perJoin.byType.offer).toBeGreaterThanOrEqual(39 / 40);
    expect(run.perJoin.byType.answer).toBeGreaterThan(0);
    expect(run.welcomeLinks.missing).toBe(0);
    // Identity proofs crossed the stand-in DataChannels.
    expect(run.perJoin.channelMessages).toBeGreaterThan(0);
  }, 60_000);

  it('keeps every peer within its maxLinks', async () => {
    const run = await simulateCore(40, () => 4, () => false, seeded(6), () => undefined);
    expect(run.joined.links.max).toBeLessThanOrEqual(4);
    expect(run.joined.links.max).toBeGreaterThan(0);
  }, 60_000);
});
