/** Adds count records key by key (frames by type, errors by code): one sum for every benchmark that merges them. */
export function sumCounts(records: Iterable<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, n] of Object.entries(r)) out[k] = (out[k] ?? 0) + n;
  return out;
}
