import type { BenchRow } from '../lib/bench-types.ts';
import { cell, formatTable } from '../lib/report.ts';

/**
 * docs/benchmarks.md is generated in part from the committed result files in
 * bench/results/published/ (one small JSON per documented run, `npm run bench -- NAME --publish`):
 *
 *   <!-- bench:table FILE [columns="a,b,c"] -->  …table, run line and settings…  <!-- /bench:table -->
 *   <!-- bench:value FILE "row" "column" -->…one cell…<!-- /bench:value -->
 *
 * `row` matches the first column of a row exactly; `a | b` matches the first two columns (for
 * tables whose first column repeats). Everything between the markers is rewritten,
 * so prose and tables cannot drift from the data; `npm run bench:docs -- --check` (and
 * test/bench/bench-docs.test.ts) fail when the committed docs differ from what the files give.
 */
export interface PublishedRun {
  benchmark: string;
  startedAt: string;
  durationSeconds: number;
  machine: { cpuModel: string; cores: number; node: string; loadAverageAtStart: number[] };
  settings: string[];
  rows: BenchRow[];
  notes: string[];
}

export const PUBLISHED_DIR = 'bench/results/published';

const TABLE = /<!-- bench:table (\S+)((?: \w+="[^"]*")*) -->\n[\s\S]*?<!-- \/bench:table -->/g;
// A row or column name may hold `"` written as `\"` (e.g. `process start to \"listening\"`).
const VALUE = /<!-- bench:value (\S+) "((?:[^"\\]|\\.)+)" "((?:[^"\\]|\\.)+)" -->[\s\S]*?<!-- \/bench:value -->/g;
const unescape = (name: string) => name.replace(/\\(.)/g, '$1');

/** Thrown for a marker that names a missing file, row or column: says which. */
export class BenchDocsError extends Error {}

function runLine(file: string, r: PublishedRun): string {
  const at = r.startedAt.replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
  const load = r.machine.loadAverageAtStart[0];
  return `Measured ${at} (load average ${load} at the start; ${r.machine.cores} × ${r.machine.cpuModel}, Node ${r.machine.node}), \`${PUBLISHED_DIR}/${file}\`:`;
}

function table(file: string, r: PublishedRun, options: string): string {
  const columns = /columns="([^"]*)"/.exec(options)?.[1]?.split(',');
  const rows = columns
    ? r.rows.map((row) => Object.fromEntries(columns.map((c) => {
      if (!r.rows.some((x) => c in x)) throw new BenchDocsError(`${file}: no column "${c}" (has ${Object.keys(r.rows[0] ?? {}).join(', ')})`);
      return [c, row[c] ?? null];
    })))
    : r.rows;
  const settings = r.settings.length
    ? `\n\nNon-default settings in this run:\n${r.settings.map((s) => `- ${s}`).join('\n')}`
    : '\n\nNon-default settings in this run: none.';
  return `${runLine(file, r)}\n\n${formatTable(rows)}${settings}`;
}

function value(file: string, r: PublishedRun, rowName: string, column: string): string {
  const keys = rowName.split(' | ');
  const row = r.rows.find((x) => Object.values(x).slice(0, keys.length).map(String).join('\u0000') === keys.join('\u0000'));
  if (!row) throw new BenchDocsError(`${file}: no row "${rowName}"`);
  if (!(column in row)) throw new BenchDocsError(`${file}: row "${rowName}" has no column "${column}"`);
  return cell(row[column]);
}

/** The docs with every marked table and value regenerated from `load(file)`. */
export function renderBenchDocs(markdown: string, load: (file: string) => PublishedRun): string {
  // A marker the patterns do not match would silently keep stale text: refuse it, naming it.
  for (const [kind, pattern] of [['table', TABLE], ['value', VALUE]] as const) {
    const anchored = new RegExp(`^${pattern.source}`);
    for (const at of markdown.matchAll(new RegExp(`<!-- bench:${kind} `, 'g'))) {
      const rest = markdown.slice(at.index);
      if (!anchored.test(rest)) throw new BenchDocsError(`a bench:${kind} marker is malformed or not closed: ${rest.split('\n')[0]}`);
    }
  }
  return markdown
    .replace(TABLE, (_m, file: string, options: string) => `<!-- bench:table ${file}${options} -->\n${table(file, load(file), options)}\n<!-- /bench:table -->`)
    .replace(VALUE, (_m, file: string, row: string, column: string) => `<!-- bench:value ${file} "${row}" "${column}" -->${value(file, load(file), unescape(row), unescape(column))}<!-- /bench:value -->`);
}

/** Every published file the docs refer to. */
export function referencedRuns(markdown: string): string[] {
  return [...new Set([...markdown.matchAll(TABLE), ...markdown.matchAll(VALUE)].map((m) => m[1]!))].sort();
}
