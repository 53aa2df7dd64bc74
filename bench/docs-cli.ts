import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchDocsError, renderBenchDocs, referencedRuns, PUBLISHED_DIR, type PublishedRun } from './docs/render-docs.ts';
import { ROOT } from './lib/child-process.ts';

/**
 * `npm run bench:docs [-- --check]`: regenerates the marked tables and values in
 * docs/benchmarks.md from bench/results/published/; `--check` changes nothing and exits 1 when
 * the docs differ or a published file is not referred to by the docs.
 */
function main(argv: string[]): number {
  const docPath = join(ROOT, 'docs/benchmarks.md');
  const doc = readFileSync(docPath, 'utf8');
  const load = (file: string) => {
    const path = join(ROOT, PUBLISHED_DIR, file);
    if (!existsSync(path)) throw new BenchDocsError(`docs/benchmarks.md refers to ${PUBLISHED_DIR}/${file}, which does not exist`);
    return JSON.parse(readFileSync(path, 'utf8')) as PublishedRun;
  };
  let next: string;
  try {
    next = renderBenchDocs(doc, load);
  } catch (err) {
    if (!(err instanceof BenchDocsError)) throw err;
    console.error(err.message);
    return 1;
  }
  const unreferenced = readdirSync(join(ROOT, PUBLISHED_DIR)).filter((f) => f.endsWith('.json') && !referencedRuns(next).includes(f));
  if (argv.includes('--check')) {
    if (next !== doc) console.error('docs/benchmarks.md differs from bench/results/published/: run npm run bench:docs');
    if (unreferenced.length) console.error(`published but not in docs/benchmarks.md: ${unreferenced.join(', ')}`);
    return next !== doc || unreferenced.length ? 1 : 0;
  }
  writeFileSync(docPath, next);
  if (unreferenced.length) console.error(`note: published but not in docs/benchmarks.md: ${unreferenced.join(', ')}`);
  console.log(next === doc ? 'docs/benchmarks.md already up to date' : 'docs/benchmarks.md regenerated');
  return 0;
}

process.exitCode = main(process.argv.slice(2));
