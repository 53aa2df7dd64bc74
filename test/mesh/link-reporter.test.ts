import { describe, expect, it } from 'vitest';
import type { Link } from '../../protocol/index.ts';
import { createLinkReporter, REPORT_GAP_MS } from '../../web/mesh/link/link-reporter.ts';
import type { RouteInfo } from '../../web/mesh/routing/peer-route.ts';
import { createFakeClock } from '../helpers/fake-clock.ts';

const info = (peerId: string): RouteInfo => ({ peerId, state: 'open', tier: 'direct', sessions: 1, bytesSent: 0, bytesReceived: 0 }) as unknown as RouteInfo;

function setup(intervalMs = 600_000) {
  const { clock, advance } = createFakeClock();
  const sent: Link[][] = [];
  let current: RouteInfo[] = [];
  const reporter = createLinkReporter({
    clock, intervalMs,
    collect: () => current,
    send: (links) => (sent.push(links), true),
    probe: async () => undefined,
  });
  return { reporter, sent, advance, set: (ids: string[]) => (current = ids.map(info)) };
}

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
    // The periodic report runs after the RTT probe's promise settles.
    for (let i = 0; i < 3; i++) await Promise.resolve();
    expect(t.sent).toHaveLength(2);
    t.set(['a', 'b']);
    t.reporter.changed();
    t.advance(REPORT_GAP_MS);
    expect(t.sent).toHaveLength(3);
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
