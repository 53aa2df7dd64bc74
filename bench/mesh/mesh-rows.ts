import type { BenchRow } from '../lib/bench-types.ts';
import { summarize } from '../lib/stats.ts';

/** Row shapes shared by the mesh benchmark's parts: one column set for every row. */

export interface Target {
  /** Human text, e.g. "p50 < 50 ms". */
  text: string;
  ok: boolean;
}

export interface RowOptions {
  /** The baseline's p50, same unit. */
  baseline?: number;
  target?: Target;
  extra?: string;
}

/** One row: samples, p50/p99/max (p99 only for latencies), the ratio to the baseline and the verdict. */
function row(name: string, values: number[], unit: 'ms' | 'MB/s', o: RowOptions): BenchRow {
  const s = summarize(values);
  const ratio = o.baseline === undefined ? undefined : s.p50 / o.baseline;
  return {
    case: name,
    samples: s.count,
    p50: round(s.p50),
    p99: unit === 'ms' ? round(s.p99) : '',
    max: round(s.max),
    unit,
    'vs baseline p50': ratio === undefined ? '' : unit === 'ms' ? `${ratio.toFixed(2)}x` : `${(ratio * 100).toFixed(0)} %`,
    target: o.target?.text ?? '',
    result: o.target ? (o.target.ok ? 'pass' : 'FAIL') : '',
    notes: o.extra ?? '',
  };
}

/** A latency row in ms. */
export const latencyRow = (name: string, ms: number[], o: RowOptions = {}): BenchRow => row(name, ms, 'ms', o);

/** A throughput row: p50 = median MB/s over the rounds, max = best round; baseline ratio in %. */
export const rateRow = (name: string, mbps: number[], o: RowOptions = {}): BenchRow => row(name, mbps, 'MB/s', o);

const round = (v: number) => Math.round(v * 100) / 100;

/** Count of samples above `ms` (the libdatachannel ~1 s DTLS stall shows up here). */
export const stallsOver = (values: number[], ms = 500) => values.filter((v) => v > ms).length;
