import type { BenchContext, BenchResult } from './lib/bench-types.ts';
import { runInNamespace } from './lib/in-namespace.ts';

/** `npm run bench -- local-api-tab`: `tabmesh call` to a hub tab, one-shot against through a running node. */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  if (process.env.TABMESH_NETNS) return (await import('./browser/local-api-tab.ts')).measureLocalApiTab(ctx);
  return runInNamespace('local-api-tab', ctx);
}
