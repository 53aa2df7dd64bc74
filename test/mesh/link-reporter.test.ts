import { describe, expect, it } from 'vitest';
import { IDENTITY_FAILURE_REASONS, type Link } from '../../protocol/index.ts';
import { createLinkReporter, REPORT_GAP_MS, UNWATCHED_REPORT_MS } from '../../web/mesh/link/link-reporter.ts';
import type { RouteInfo } from '../../web/mesh/routing/peer-route.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

const info = (peerId: string): RouteInfo => ({ peerId, state: 'open', tier: 'direct', sessions: 1, bytesSent: 0, bytesReceived: 0 }) as unknown as RouteInfo;

/** `watch`: what the mesh says the server asked for (undefined: an older server, report every change). */
function setup(intervalMs = 600_000, watch: () => number | undefined = () => undefined) {
  const { clock, advance } = createFakeClock();
  const sent: Link[][] = [];
  let current: RouteInfo[] = [];
  const reporter = createLinkReporter({
    clock, intervalMs, watch,
    collect: () => current,
    send: (links) => (sent.push(links), true),
    probe: async () => undefined,
  });
  return { reporter, sent, advance, clock, set: (ids: string[]) => (current = ids.map(info)) };
}

/** Lets a periodic report through: it runs after the RTT probe's promise settles. */
const settle = async () => {
  for (let i = 0; i < 3; i++) await Promise.resolve();
};

describe('link reporter', () => {
  it('reports a single change within 250 ms', () => {
    const t = setup();
    t.set(['a']);
    t.reporter.changed();
    t.advance(249);
    expect(t.sent).toHaveLength(0);
    t.advance(1);
    expect(t.sent.map((l) => l.map((x) => x.peer))).toEqual([['a']]);
    t.reporter.stop();
  });

  it('a burst of changes costs one report per gap, and the last state is always reported', () => {
    const t = setup();
    const ids: string[] = [];
    // 40 link changes spread over 4 s: one every 100 ms.
    for (let i = 0; i < 40; i++) {
      ids.push(`p${i}`);
      t.set(ids);
      t.reporter.changed();
      t.advance(100);
    }
    t.advance(REPORT_GAP_MS);
    // 250 ms after the first change, then at most one per REPORT_GAP_MS: 3 reports, not 16 (one per 250 ms).
    expect(t.sent.length).toBeLessThanOrEqual(1 + Math.ceil(4000 / REPORT_GAP_MS));
    expect(t.sent.at(-1)!.map((l) => l.peer)).toEqual(ids);
    t.reporter.stop();
  });

  it('a link that is gone stays in reports as closed for 60 s (the server keeps only the latest report), unless it comes back', () => {
    const t = setup();
    const peers = (i: number) => t.sent[i]!.map((l) => `${l.peer}:${l.state}`);
    t.set(['a']);
    t.reporter.closed(info('b'));
    t.reporter.closed(info('c'));
    t.advance(250);
    expect(peers(0)).toEqual(['b:closed', 'c:closed', 'a:open']);
    t.set(['a', 'c']);
    t.reporter.changed();
    t.advance(REPORT_GAP_MS);
    expect(peers(1)).toEqual(['b:closed', 'a:open', 'c:open']);
    t.advance(60_000);
    t.reporter.changed();
    t.advance(REPORT_GAP_MS);
    expect(peers(2)).toEqual(['a:open', 'c:open']);
    t.reporter.stop();
  });

  it('a change the report would not show (same peers, states and tiers) sends nothing until the periodic report', async () => {
    const t = setup(10_000);
    t.set(['a']);
    t.reporter.changed();
    t.advance(250);
    expect(t.sent).toHaveLength(1);
    t.reporter.changed();
    t.advance(REPORT_GAP_MS);
    expect(t.sent).toHaveLength(1);
    t.advance(10_000);
    await settle();
    expect(t.sent).toHaveLength(2);
    t.set(['a', 'b']);
    t.reporter.changed();
    t.advance(REPORT_GAP_MS);
    expect(t.sent).toHaveLength(3);
    t.reporter.stop();
  });

  it('while nobody watches the topology, changes wait for a periodic report every 30 s; a watch brings a fresh report at once and every change after it', async () => {
    let watchUntil: number | undefined = 0;
    const t = setup(10_000, () => watchUntil);
    // Unwatched, the first periodic report comes UNWATCHED_REPORT_MS after the reporter started, as do later ones.
    t.set(['a']);
    t.reporter.changed();
    t.advance(250);
    expect(t.sent).toHaveLength(0);
    for (let k = 0; k < UNWATCHED_REPORT_MS / 10_000 - 1; k++) (t.advance(10_000), await settle());
    expect(t.sent).toHaveLength(0);
    t.advance(10_000);
    await settle();
    expect(t.sent.map((l) => l.map((x) => x.peer))).toEqual([['a']]);
    t.set(['a', 'b']);
    t.reporter.changed();
    t.advance(REPORT_GAP_MS);
    t.advance(10_000);
    await settle();
    expect(t.sent).toHaveLength(1);
    // 30 s after the last report, the periodic one carries the change.
    for (let k = 0; k < UNWATCHED_REPORT_MS / 10_000 - 1; k++) (t.advance(10_000), await settle());
    expect(t.sent.map((l) => l.map((x) => x.peer))).toEqual([['a'], ['a', 'b']]);
    // A hub opens the topology: the mesh sets the watch and says so; a report goes out though
    // nothing changed (within the gap after the last one).
    watchUntil = t.clock.now() + 60_000;
    t.reporter.changed();
    t.advance(REPORT_GAP_MS);
    expect(t.sent).toHaveLength(3);
    // While watched, every change is reported again (at most one per gap).
    t.set(['a', 'b', 'c']);
    t.reporter.changed();
    t.advance(REPORT_GAP_MS);
    expect(t.sent.at(-1)!.map((x) => x.peer)).toEqual(['a', 'b', 'c']);
    // The watch ends: changes wait again.
    t.advance(60_000);
    await settle();
    const n = t.sent.length;
    t.set(['a']);
    t.reporter.changed();
    t.advance(REPORT_GAP_MS);
    expect(t.sent).toHaveLength(n);
    t.reporter.stop();
  });

  it('an identity failure is reported at once even while nobody watches', () => {
    const t = setup(600_000, () => 0);
    t.set(['a']);
    t.reporter.identityFailed({ peer: 'mallory', reason: IDENTITY_FAILURE_REASONS[0] });
    t.advance(250);
    expect(t.sent).toHaveLength(1);
    t.reporter.stop();
  });

  it('sends nothing after stop', () => {
    const t = setup(1000);
    t.reporter.changed();
    t.reporter.stop();
    t.advance(10_000);
    expect(t.sent).toHaveLength(0);
  });
});
