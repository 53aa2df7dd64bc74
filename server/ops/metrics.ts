/** Minimal Prometheus text-format registry (no dependency; runs on Node, Deno and in tests). */

type Labels = Record<string, string>;
// Hot path (once per relayed frame): no JSON, no locale sort. Label names and values are our own
// identifiers, so control characters cannot occur in them and serve as separators.
const key = (labels: Labels) => {
  let names: string[] | undefined;
  for (const n in labels) (names ??= []).push(n);
  if (!names) return '';
  if (names.length > 1) names.sort();
  let k = '';
  for (const n of names) k += `${n}\u0001${labels[n]}\u0002`;
  return k;
};
const fmt = (labels: Labels, extra?: Labels) => {
  const all = { ...labels, ...extra };
  const parts = Object.entries(all).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
};

export interface Counter { inc(labels?: Labels, by?: number): void; get(labels?: Labels): number }
export interface Gauge { set(value: number, labels?: Labels): void; inc(labels?: Labels, by?: number): void; get(labels?: Labels): number }
export interface Histogram { observe(value: number, labels?: Labels): void }
export interface Metrics {
  counter(name: string, help: string): Counter;
  gauge(name: string, help: string, collect?: () => number): Gauge;
  histogram(name: string, help: string, buckets: number[]): Histogram;
  /** Prometheus text exposition of every metric, `tabmesh_` names as registered. */
  render(): string;
}

/** Creates an empty registry; metric names should carry the `tabmesh_` prefix. */
export function createMetrics(): Metrics {
  const renderers: Array<() => string> = [];
  const scalar = (name: string, help: string, type: 'counter' | 'gauge', collect?: () => number) => {
    const values = new Map<string, { labels: Labels; value: number }>();
    const get = (labels: Labels = {}) => values.get(key(labels))?.value ?? 0;
    const set = (value: number, labels: Labels = {}) => {
      const k = key(labels);
      const entry = values.get(k);
      if (entry) entry.value = value;
      else values.set(k, { labels: { ...labels }, value });
    };
    const inc = (labels: Labels = {}, by = 1) => {
      const entry = values.get(key(labels));
      if (entry) entry.value += by;
      else set(by, labels);
    };
    renderers.push(() => {
      if (collect) set(collect());
      const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
      for (const { labels, value } of values.values()) lines.push(`${name}${fmt(labels)} ${value}`);
      if (values.size === 0) lines.push(`${name} 0`);
      return lines.join('\n');
    });
    return { get, set, inc };
  };
  return {
    counter: (name, help) => scalar(name, help, 'counter'),
    gauge: (name, help, collect) => scalar(name, help, 'gauge', collect),
    histogram(name, help, buckets) {
      const series = new Map<string, { labels: Labels; counts: number[]; sum: number; count: number }>();
      renderers.push(() => {
        const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
        for (const s of series.values()) {
          buckets.forEach((b, i) => lines.push(`${name}_bucket${fmt(s.labels, { le: String(b) })} ${s.counts[i]}`));
          lines.push(`${name}_bucket${fmt(s.labels, { le: '+Inf' })} ${s.count}`);
          lines.push(`${name}_sum${fmt(s.labels)} ${s.sum}`, `${name}_count${fmt(s.labels)} ${s.count}`);
        }
        return lines.join('\n');
      });
      return {
        observe(value, labels = {}) {
          const k = key(labels);
          let s = series.get(k);
          if (!s) series.set(k, (s = { labels: { ...labels }, counts: buckets.map(() => 0), sum: 0, count: 0 }));
          for (let i = 0; i < buckets.length; i++) if (value <= buckets[i]!) s.counts[i]! += 1;
          s.sum += value;
          s.count += 1;
        },
      };
    },
    render: () => renderers.map((r) => r()).join('\n') + '\n',
  };
}
