import type { BenchRow } from './bench-types.ts';
import { summarize } from './stats.ts';

/**
 * One mesh call as a benchmark saw it. `tier` is whatever string the call result carried and
 * `hops` its hop count when it has one, so a tier added to the mesh later is grouped without
 * changes here.
 */
export interface CallOutcome {
  ok: boolean;
  ms: number;
  tier?: string;
  hops?: number;
  /** The error code (MeshError.code) or message of a failed call. */
  error?: string;
}

/** The group a call's latency is reported under: the tier, with the hop count when the result gave one. */
export function tierGroup(o: CallOutcome): string {
  const tier = o.tier ?? 'unknown';
  return o.hops === undefined ? tier : `${tier} (${o.hops} hop${o.hops === 1 ? '' : 's'})`;
}

/** The tiers that went through the signaling server (the sealed relay). */
const SERVER_TIERS = new Set(['fallback']);

export interface CallSummary {
  calls: number;
  answered: number;
  failed: number;
  /** Failed calls by error code, most frequent first. */
  failures: Array<[string, number]>;
  /** Answered calls that the server carried, as a share of answered calls (0..1; NaN when none answered). */
  serverShare: number;
  /** Per tier group (sorted by name): count and latency of the answered calls. */
  groups: Array<{ group: string; calls: number; p50: number; p99: number; max: number }>;
}

/** Answered/failed counts, failure reasons and latency per tier group of a list of calls. */
export function summarizeCalls(outcomes: CallOutcome[]): CallSummary {
  const answered = outcomes.filter((o) => o.ok);
  const failures = new Map<string, number>();
  for (const o of outcomes) if (!o.ok) failures.set(o.error ?? 'unknown', (failures.get(o.error ?? 'unknown') ?? 0) + 1);
  const byGroup = new Map<string, number[]>();
  for (const o of answered) {
    const g = tierGroup(o);
    byGroup.set(g, [...(byGroup.get(g) ?? []), o.ms]);
  }
  const viaServer = answered.filter((o) => SERVER_TIERS.has(o.tier ?? '')).length;
  return {
    calls: outcomes.length,
    answered: answered.length,
    failed: outcomes.length - answered.length,
    failures: [...failures].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
    serverShare: answered.length ? viaServer / answered.length : NaN,
    groups: [...byGroup].sort((a, b) => a[0].localeCompare(b[0])).map(([group, ms]) => {
      const s = summarize(ms);
      return { group, calls: s.count, p50: s.p50, p99: s.p99, max: s.max };
    }),
  };
}

const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;

/**
 * Table rows for a call summary in the columns the mesh-scale table uses (what, n, p50, p99, min,
 * max, unit, share, notes): all calls (answered share, failure reasons), one row per tier group,
 * and the share the server carried.
 */
export function callRows(s: CallSummary, label: string): BenchRow[] {
  const pct = (x: number) => `${round(x * 100, 1)} %`;
  return [
    {
      what: label, n: s.calls, unit: 'calls', share: s.calls ? `${pct(s.answered / s.calls)} answered` : '',
      notes: `${s.answered} answered, ${s.failed} failed${s.failures.length ? `: ${s.failures.map(([code, n]) => `${code} ×${n}`).join(', ')}` : ''}`,
    },
    ...s.groups.map((g): BenchRow => ({
      what: `  tier ${g.group}`, n: g.calls, p50: round(g.p50), p99: round(g.p99), max: round(g.max), unit: 'ms',
      share: `${pct(g.calls / s.answered)} of answered`,
    })),
    { what: '  needed the server (fallback tier)', n: s.answered, share: Number.isNaN(s.serverShare) ? '' : `${pct(s.serverShare)} of answered` },
  ];
}
