import type { BenchContext, BenchResult } from './lib/bench-types.ts';
import { runInNamespace } from './lib/in-namespace.ts';
import { measureAgentChannels } from './browser/agent-channel-calls.ts';

/** `npm run bench -- agent-channels`: calls to a tab's agent over its Worker's own DataChannel against the MessagePort bridge. */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  return process.env.TABMESH_NETNS ? measureAgentChannels(ctx) : runInNamespace('agent-channels', ctx);
}
