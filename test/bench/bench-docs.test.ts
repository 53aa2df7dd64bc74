import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BenchDocsError, PUBLISHED_DIR, referencedRuns, renderBenchDocs, type PublishedRun } from '../../bench/docs/render-docs.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(`${root}docs/benchmarks.md`, 'utf8');
const load = (file: string) => JSON.parse(readFileSync(`${root}${PUBLISHED_DIR}/${file}`, 'utf8')) as PublishedRun;

const run: PublishedRun = {
  benchmark: 'demo', startedAt: '2026-12-07T05:33:00.123Z', durationSeconds: 70,
  machine: { cpuModel: 'Xeon', cores: 2, node: 'v20.0.0', loadAverageAtStart: [1.5, 1, 1] },
  settings: ['`linkReportMs: 600_000`'],
  rows: [{ case: 'echo', p50: 0.213, p99: 0.58 }, { case: 'bulk', p50: 93.4, p99: '' }],
  notes: [],
};

describe('docs/benchmarks.md is generated from committed result files', () => {
  it('matches what bench/results/published/ gives (run `npm run bench:docs` after publishing a run)', () => {
    const runs = referencedRuns(doc);
    expect(runs.length).toBeGreaterThan(0);
    for (const f of runs) expect(existsSync(`${root}${PUBLISHED_DIR}/${f}`), f).toBe(true);
    expect(renderBenchDocs(doc, load)).toBe(doc);
  });

  it('refers to every published file (none committed without a place in the docs)', () => {
    const published = readdirSync(`${root}${PUBLISHED_DIR}`).filter((f) => f.endsWith('.json')).sort();
    expect(referencedRuns(doc)).toEqual(published);
  });

  it('rewrites a table or a quoted value that drifted from the data, and lists the settings', () => {
    const stale = [
      '<!-- bench:table demo.json columns="case,p50" -->', 'old table', '<!-- /bench:table -->',
      'The echo took <!-- bench:value demo.json "echo" "p99" -->0.33<!-- /bench:value --> ms at p99.',
    ].join('\n');
    const out = renderBenchDocs(stale, () => run);
    expect(out).toContain('| echo | 0.21 |');
    expect(out).not.toContain('old table');
    expect(out).toContain('0.58<!-- /bench:value --> ms at p99');
    expect(out).toContain('- `linkReportMs: 600_000`');
    expect(out).toContain('Measured 2026-12-07 05:33 UTC (load average 1.5 at the start');
    expect(renderBenchDocs(out, () => run)).toBe(out);
  });

  it('tells rows apart by their first two columns when the first repeats', () => {
    const twoKeys = { ...run, rows: [{ load: 'latency', layout: 'one', p50: 1 }, { load: 'latency', layout: 'two', p50: 2 }] };
    const out = renderBenchDocs('<!-- bench:value demo.json "latency | two" "p50" -->?<!-- /bench:value -->', () => twoKeys);
    expect(out).toBe('<!-- bench:value demo.json "latency | two" "p50" -->2<!-- /bench:value -->');
  });

  it('refuses a marker it cannot parse instead of keeping its stale text, and reads \\" in names', () => {
    const quoted = { ...run, rows: [{ case: 'start to "listening"', p50: 7 }] };
    expect(() => renderBenchDocs('<!-- bench:value demo.json "start to "listening"" "p50" -->old<!-- /bench:value -->', () => quoted)).toThrow(BenchDocsError);
    expect(() => renderBenchDocs('<!-- bench:value demo.json "echo" "p50" -->old', () => run)).toThrow(/malformed or not closed/);
    expect(() => renderBenchDocs('<!-- bench:table demo.json -->\nold table', () => run)).toThrow(/bench:table marker is malformed/);
    expect(renderBenchDocs('<!-- bench:value demo.json "start to \\"listening\\"" "p50" -->old<!-- /bench:value -->', () => quoted))
      .toBe('<!-- bench:value demo.json "start to \\"listening\\"" "p50" -->7<!-- /bench:value -->');
  });

  it('names the file, row and column a marker gets wrong', () => {
    expect(() => renderBenchDocs('<!-- bench:value demo.json "nope" "p50" --><!-- /bench:value -->', () => run)).toThrow(new BenchDocsError('demo.json: no row "nope"'));
    expect(() => renderBenchDocs('<!-- bench:value demo.json "echo" "p95" --><!-- /bench:value -->', () => run)).toThrow(/row "echo" has no column "p95"/);
    expect(() => renderBenchDocs('<!-- bench:table demo.json columns="case,p95" -->\n<!-- /bench:table -->', () => run)).toThrow(/no column "p95"/);
  });
});
