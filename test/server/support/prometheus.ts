import { expect } from 'vitest';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses Prometheus text exposition strictly enough to catch a malformed line (asserts each line). */
export function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n').filter(Boolean)) {
    const type = /^# TYPE (\S+) (counter|gauge|histogram)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) {
      expect(line).toMatch(/^# (HELP|TYPE) tabmesh_\w+ .+$/);
      continue;
    }
    const m = /^([a-z_]+)(?:\{(.*)\})? (-?[0-9.e+-]+|\+Inf|NaN)$/.exec(line);
    expect(m, `bad sample line: ${line}`).not.toBeNull();
    const labels: Record<string, string> = {};
    for (const [, k, v] of m![2]?.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g) ?? []) labels[k!] = v!;
    samples.push({ name: m![1]!, labels, value: Number(m![3]) });
  }
  return { samples, types };
}

/** The value of the first sample named `name` whose labels include `labels`; 0 when absent. */
export function sampleValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const s = samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value ?? 0;
}

/** Scrapes a running server's /metrics with an admin API key. */
export async function scrape(url: string, adminKey: string): Promise<Sample[]> {
  const res = await fetch(`${url}/metrics`, { headers: { 'x-api-key': adminKey } });
  expect(res.status).toBe(200);
  return parsePrometheus(await res.text()).samples;
}
