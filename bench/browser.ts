import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { BenchContext, BenchResult } from './lib/bench-types.ts';
import { ROOT } from './lib/child-process.ts';
import { measureBrowser } from './browser/measure.ts';

/**
 * `npm run bench -- browser`: DataChannel open time tab↔tab and tab↔Node against bare WebRTC.
 * Chromium gathers no loopback candidates, so the measurement runs in a private network
 * namespace (scripts/in-netns.mjs) and reports back as JSON.
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  if (process.env.TABMESH_NETNS) return measureBrowser(ctx);
  const probe = join(ROOT, 'dist/bench/browser/probe.js');
  const child = spawn(process.execPath, [join(ROOT, 'scripts/in-netns.mjs'), process.execPath, probe, ...(ctx.quick ? ['--quick'] : [])], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`browser benchmark failed (exit ${code})`);
  return JSON.parse(out.trim().split('\n').at(-1)!) as BenchResult;
}
