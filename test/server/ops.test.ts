import { describe, expect, it } from 'vitest';
import { createLogger } from '../../server/ops/logger.ts';
import { createMetrics } from '../../server/ops/metrics.ts';
import { parsePrometheus } from './support/prometheus.ts';

describe('logger', () => {
  const capture = (level: 'debug' | 'info' | 'warn' | 'error' = 'debug') => {
    const lines: string[] = [];
    return { lines, log: createLogger(level, (l) => lines.push(l)) };
  };

  it('writes one JSON object per line at or above the level', () => {
    const { lines, log } = capture('warn');
    log.debug('d');
    log.info('i');
    log.warn('w', { peerId: 'p1' });
    log.error('e');
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      { time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), level: 'warn', msg: 'w', peerId: 'p1' },
      { time: expect.any(String), level: 'error', msg: 'e' },
    ]);
  });

  it('masks credential-named fields at any depth, in child loggers too', () => {
    const { lines, log } = capture();
    log.child({ apiKey: 'k-secret-1' }).info('x', {
      token: 't-secret-2',
      req: { headers: { Authorization: 'Bearer t-secret-3', cookie: 'c-secret-4' }, list: [{ password: 'p-secret-5' }] },
      turnSecret: 't-secret-6',
      peerId: 'visible',
    });
    const out = lines.join('\n');
    for (const secret of ['k-secret-1', 't-secret-2', 't-secret-3', 'c-secret-4', 'p-secret-5', 't-secret-6']) expect(out).not.toContain(secret);
    expect(JSON.parse(lines[0]!)).toMatchObject({ peerId: 'visible', token: '[redacted]', req: { headers: { Authorization: '[redacted]' } } });
  });

  it('reduces errors to name and message and never throws on odd fields', () => {
    const { lines, log } = capture();
    const circular: Record<string, unknown> = { a: 1 };
    circular.self = circular;
    const err = Object.assign(new TypeError('boom'), { stackSecret: 'x' });
    expect(() => log.error('odd', { err, big: 10n, circular, deep: { a: { b: { c: { d: { e: 1 } } } } } })).not.toThrow();
    const entry = JSON.parse(lines[0]!) as Record<string, any>;
    expect(entry.err).toEqual({ name: 'TypeError', message: 'boom' });
    expect(entry.big).toBe('10');
    expect(entry.deep.a.b.c).toBe('[object]');
  });
});

describe('metrics registry', () => {
  it('escapes label values and renders counters, gauges and histograms in Prometheus text', () => {
    const m = createMetrics();
    const c = m.counter('tabmesh_test_total', 'A counter');
    const g = m.gauge('tabmesh_test_gauge', 'A gauge');
    const h = m.histogram('tabmesh_test_seconds', 'A histogram', [0.1, 1]);
    c.inc({ reason: 'quote " backslash \\ newline \n end' });
    c.inc({ reason: 'plain' }, 2);
    g.set(3);
    h.observe(0.05, { route: '/a' });
    h.observe(0.5, { route: '/a' });
    h.observe(5, { route: '/a' });
    const text = m.render();
    const { samples, types } = parsePrometheus(text);
    expect(text).toContain('tabmesh_test_total{reason="quote \\" backslash \\\\ newline \\n end"} 1');
    expect(types.get('tabmesh_test_seconds')).toBe('histogram');
    const bucket = (le: string) => samples.find((s) => s.name === 'tabmesh_test_seconds_bucket' && s.labels.le === le)?.value;
    expect([bucket('0.1'), bucket('1'), bucket('+Inf')]).toEqual([1, 2, 3]);
    expect(samples.find((s) => s.name === 'tabmesh_test_seconds_count')?.value).toBe(3);
    expect(samples.find((s) => s.name === 'tabmesh_test_gauge')?.value).toBe(3);
  });
});
