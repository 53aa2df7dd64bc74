import type { BenchContext, BenchResult } from './lib/bench-types.ts';
import { runInNamespace } from './lib/in-namespace.ts';
import { measurePhoneLoad } from './browser/phone-load.ts';

/** `npm run bench -- hub-phone`: the hub on a throttled phone with 10 peers (TBT, CLS, long tasks). */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  return process.env.TABMESH_NETNS ? measurePhoneLoad(ctx) : runInNamespace('hub-phone', ctx);
}
