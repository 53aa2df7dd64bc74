import { join } from 'node:path';
import { ROOT } from './lib/child-process.ts';
import { formatTable, machineInfo, writePublished, writeResult } from './lib/report.ts';
import { benchmarks } from './registry.ts';

/**
 * `npm run bench [-- <name>...] [--quick] [--publish]`: runs the named benchmarks (all registered
 * ones when none is named), prints a table per benchmark on stdout and writes JSON to
 * bench/results/ (git-ignored scratch). `--publish` also writes the small copy that
 * docs/benchmarks.md is generated from, to bench/results/published/ (committed).
 */
async function main(argv: string[]): Promise<number> {
  const quick = argv.includes('--quick');
  const publish = argv.includes('--publish');
  if (quick && publish) {
    console.error('--publish refuses a --quick run: numbers in the docs come from full runs only');
    return 2;
  }
  const names = argv.filter((a) => !a.startsWith('--'));
  const unknown = names.filter((n) => !(n in benchmarks));
  if (unknown.length) {
    console.error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(benchmarks).join(', ')}`);
    return 2;
  }
  let failed = 0;
  for (const name of names.length ? names : Object.keys(benchmarks)) {
    const startedAt = new Date().toISOString();
    const machine = machineInfo();
    const started = performance.now();
    const log = (m: string) => console.error(`[${name} ${((performance.now() - started) / 1000).toFixed(1)}s] ${m}`);
    try {
      const result = await (await benchmarks[name]!()).run({ quick, log });
      const durationSeconds = Math.round((performance.now() - started) / 100) / 10;
      console.log(`\n## ${name}${quick ? ' (quick)' : ''}\n\n${formatTable(result.rows)}\n`);
      for (const setting of result.settings ?? []) console.log(`- setting: ${setting}`);
      for (const note of result.notes ?? []) console.log(`- ${note}`);
      const path = writeResult(join(ROOT, 'bench/results'), name, result, { startedAt, durationSeconds, quick, machine });
      console.log(`\n${name}: ${durationSeconds} s, JSON in ${path}`);
      if (publish) console.log(`published: ${writePublished(join(ROOT, 'bench/results/published'), name, result, { startedAt, durationSeconds, machine })}`);
    } catch (err) {
      failed++;
      console.error(`${name} failed:`, err);
    }
  }
  return failed ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
