import { describe, expect, it } from 'vitest';
import type { Clock } from '../../web/mesh/platform.ts';
import { detectTier, retryUnknownTier, TIER_RETRY_MS, type LinkTier } from '../../web/mesh/link/tier.ts';

type Stat = Record<string, unknown>;

/** Just enough of an RTCPeerConnection for getStats (pure logic: real stats are covered by relayed-tier.test.ts). */
function pcWith(reports: () => Stat[] | Error): RTCPeerConnection {
  return {
    getStats: async () => {
      const r = reports();
      if (r instanceof Error) throw r;
      return new Map(r.map((s) => [String(s.id), s]));
    },
  } as unknown as RTCPeerConnection;
}

const pair = (local: string | undefined, remote: string | undefined): Stat[] => [
  { id: 'T', type: 'transport', selectedCandidatePairId: 'P' },
  { id: 'P', type: 'candidate-pair', localCandidateId: 'L', remoteCandidateId: 'R' },
  { id: 'L', type: 'local-candidate', ...(local ? { candidateType: local } : {}) },
  { id: 'R', type: 'remote-candidate', ...(remote ? { candidateType: remote } : {}) },
];

/** A clock whose timers run only when the test says so. */
function manualClock() {
  const timers: Array<{ fn: () => void; ms: number; cleared: boolean }> = [];
  const clock: Clock = {
    now: () => 0,
    elapsed: () => 0,
    set: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      timers.push(t);
      return t;
    },
    clear: (h) => {
      if (h) (h as { cleared: boolean }).cleared = true;
    },
  };
  const fireNext = async () => {
    const t = timers.find((x) => !x.cleared);
    if (!t) return undefined;
    t.cleared = true;
    t.fn();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    return t.ms;
  };
  return { clock, timers, fireNext };
}

describe('detectTier', () => {
  it('answers unknown when the stats do not say: getStats fails, no selected pair, untyped candidates', async () => {
    expect(await detectTier(pcWith(() => new Error('closed')))).toBe('unknown');
    expect(await detectTier(pcWith(() => []))).toBe('unknown');
    expect(await detectTier(pcWith(() => [{ id: 'T', type: 'transport' }]))).toBe('unknown');
    expect(await detectTier(pcWith(() => pair('host', undefined)))).toBe('unknown');
    expect(await detectTier(pcWith(() => pair(undefined, undefined)))).toBe('unknown');
  });

  it('answers direct only for a selected pair of typed non-relay candidates, relayed when either is a relay', async () => {
    expect(await detectTier(pcWith(() => pair('host', 'prflx')))).toBe('direct');
    expect(await detectTier(pcWith(() => pair('srflx', 'host')))).toBe('direct');
    expect(await detectTier(pcWith(() => pair('relay', 'host')))).toBe('relayed');
    expect(await detectTier(pcWith(() => pair(undefined, 'relay')))).toBe('relayed');
    // Firefox marks the pair itself instead of the transport.
    const firefox = pair('host', 'host').slice(1).map((s) => (s.type === 'candidate-pair' ? { ...s, selected: true } : s));
    expect(await detectTier(pcWith(() => firefox))).toBe('direct');
  });
});

describe('retryUnknownTier', () => {
  it('re-reads the stats until they name the tier, then reports it once', async () => {
    let reads = 0;
    const pc = pcWith(() => (++reads < 2 ? [] : pair('relay', 'relay')));
    const { clock, fireNext } = manualClock();
    const known: LinkTier[] = [];
    retryUnknownTier(pc, clock, (t) => known.push(t));
    expect(await fireNext()).toBe(TIER_RETRY_MS[0]);
    expect(known).toEqual([]);
    expect(await fireNext()).toBe(TIER_RETRY_MS[1]);
    expect(known).toEqual(['relayed']);
    expect(await fireNext()).toBeUndefined();
  });

  it('gives up after its last re-read (the tier stays unknown) and stops when cancelled', async () => {
    const { clock, fireNext } = manualClock();
    const known: LinkTier[] = [];
    retryUnknownTier(pcWith(() => []), clock, (t) => known.push(t));
    const delays: Array<number | undefined> = [];
    for (let i = 0; i <= TIER_RETRY_MS.length; i++) delays.push(await fireNext());
    expect(delays).toEqual([...TIER_RETRY_MS, undefined]);
    expect(known).toEqual([]);

    const second = manualClock();
    const cancel = retryUnknownTier(pcWith(() => pair('host', 'host')), second.clock, (t) => known.push(t));
    cancel();
    expect(await second.fireNext()).toBeUndefined();
    expect(known).toEqual([]);
  });
});
