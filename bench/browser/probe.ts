import type { BenchContext, BenchResult } from '../lib/bench-types.ts';

// Runs inside the network namespace (spawned by bench/lib/in-namespace.ts): `probe.js <name>`,
// JSON result on stdout, progress on stderr.
const measures: Record<string, () => Promise<(ctx: BenchContext) => Promise<BenchResult>>> = {
  browser: async () => (await import('./measure.ts')).measureBrowser,
  'agent-channels': async () => (await import('./agent-channel-calls.ts')).measureAgentChannels,
  'local-api-tab': async () => (await import('./local-api-tab.ts')).measureLocalApiTab,
  'hub-phone': async () => (await import('./phone-load.ts')).measurePhoneLoad,
};
const name = process.argv[2] ?? 'browser';
const measure = measures[name];
if (!measure) throw new Error(`unknown browser benchmark "${name}"`);
const quick = process.argv.includes('--quick');
const result = await (await measure())({ quick, log: (m) => console.error(`[${name}] ${m}`) });
console.log(JSON.stringify(result));
