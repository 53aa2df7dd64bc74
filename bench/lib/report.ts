import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchResult, BenchRow } from './bench-types.ts';

/** The machine a result was measured on; stored with every result. */
export function machineInfo() {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    loadAverageAtStart: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/** One table cell as the docs show it: numbers ≥ 100 rounded with separators, others to 2 decimals. */
export const cell = (v: BenchRow[string] | undefined): string => {
  if (v === undefined || v === null) return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return String(v);
    return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 100) / 100);
  }
  return String(v);
};

/** Renders rows as a Markdown table (columns in first-seen order), numbers rounded for reading. */
export function formatTable(rows: BenchRow[]): string {
  const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  const body = rows.map((r) => columns.map((c) => cell(r[c])));
  const widths = columns.map((c, i) => Math.max(c.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/**
 * Writes the small copy of a run that docs/benchmarks.md is generated from (no raw details):
 * `<dir>/<name>-<timestamp>.json`, committed. Returns its path.
 */
export function writePublished(dir: string, name: string, result: BenchResult, extra: { startedAt: string; durationSeconds: number; machine: unknown }): string {
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify({ benchmark: name, ...extra, settings: result.settings ?? [], rows: result.rows, notes: result.notes ?? [] }, null, 2);
  const path = join(dir, `${name}-${extra.startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, json + '\n');
  return path;
}

/** Writes `<dir>/<name>-<timestamp>.json` and `<dir>/<name>-latest.json`; returns the first path. */
export function writeResult(dir: string, name: string, result: BenchResult, extra: Record<string, unknown>): string {
  mkdirSync(dir, { recursive: true });
  const startedAt = String(extra.startedAt ?? new Date().toISOString());
  const json = JSON.stringify({ benchmark: name, ...extra, settings: result.settings ?? [], rows: result.rows, notes: result.notes ?? [], details: result.details ?? null }, null, 2);
  const path = join(dir, `${name}-${startedAt.replace(/[:.]/g, '-')}.json`);
  writeFileSync(path, json + '\n');
  writeFileSync(join(dir, `${name}-latest.json`), json + '\n');
  return path;
}
