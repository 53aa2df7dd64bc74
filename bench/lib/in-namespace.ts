import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BenchContext, BenchResult } from './bench-types.ts';
import { ROOT } from './child-process.ts';

/**
 * Runs the browser benchmark `name` in a private network namespace (scripts/in-netns.mjs):
 * Chromium gathers no loopback candidates. The probe (dist/bench/browser/probe.js) reports back as
 * one JSON line on stdout.
 */
export async function runInNamespace(name: string, ctx: BenchContext): Promise<BenchResult> {
  const probe = join(ROOT, 'dist/bench/browser/probe.js');
  const child = spawn(process.execPath, [join(ROOT, 'scripts/in-netns.mjs'), process.execPath, probe, name, ...(ctx.quick ? ['--quick'] : [])], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`${name} benchmark failed (exit ${code})`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as BenchResult;
}
