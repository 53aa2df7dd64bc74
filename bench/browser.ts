import type { BenchContext, BenchResult } from './lib/bench-types.ts';
import { runInNamespace } from './lib/in-namespace.ts';
import { measureBrowser } from './browser/measure.ts';

/** `npm run bench -- browser`: DataChannel open time tab↔tab and tab↔Node against bare WebRTC. */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  return process.env.TABMESH_NETNS ? measureBrowser(ctx) : runInNamespace('browser', ctx);
}
