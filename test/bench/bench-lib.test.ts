import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatTable, writeResult } from '../../bench/lib/report.ts';
import { median, percentile, summarize } from '../../bench/lib/stats.ts';

describe('bench stats', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarises unsorted samples without reordering the input', () => {
    const values = [5, 1, 4, 2, 3];
    expect(summarize(values)).toEqual({ count: 5, p50: 3, p99: 5, max: 5 });
    expect(values).toEqual([5, 1, 4, 2, 3]);
    expect(median([10, 30, 20])).toBe(20);
  });
});

describe('bench report', () => {
  it('renders a Markdown table over the union of columns, rounding numbers', () => {
    const table = formatTable([
      { metric: 'relay frames/s', tabmesh: 123456.7, peerjs: 1.234 },
      { metric: 'memory', result: 'pass' },
    ]).split('\n');
    expect(table[0]).toMatch(/^\| metric +\| tabmesh \| peerjs \| result \|$/);
    expect(table[1]).toMatch(/^\| -+ \| -+ \| -+ \| -+ \|$/);
    expect(table[2]).toContain('123,457');
    expect(table[2]).toContain('1.23');
    expect(table[3]).toMatch(/\| memory +\| +\| +\| pass +\|/);
  });

  it('writes a timestamped JSON and a -latest copy with rows, notes and details', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    const path = writeResult(dir, 'demo', { rows: [{ a: 1 }], notes: ['n'], details: { x: 2 } }, { startedAt: '2026-01-02T03:04:05.678Z' });
    expect(path).toBe(join(dir, 'demo-2026-01-02T03-04-05-678Z.json'));
    const latest = JSON.parse(readFileSync(join(dir, 'demo-latest.json'), 'utf8'));
    expect(latest).toEqual(JSON.parse(readFileSync(path, 'utf8')));
    expect(latest).toMatchObject({ benchmark: 'demo', startedAt: '2026-01-02T03:04:05.678Z', rows: [{ a: 1 }], notes: ['n'], details: { x: 2 } });
  });
});
