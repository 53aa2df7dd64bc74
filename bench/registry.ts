import type { BenchModule } from './lib/bench-types.ts';

/**
 * Every benchmark `npm run bench` knows, in run order. Add one line per benchmark file
 * (`bench/<name>.ts` exporting `run`); imports are lazy so one benchmark's deps never load another's.
 */
export const benchmarks: Record<string, () => Promise<BenchModule>> = {
  signaling: () => import('./signaling.ts'),
  tasks: () => import('./tasks.ts'),
  token: () => import('./token.ts'),
  'control-plane': () => import('./control-plane.ts'),
  relayed: () => import('./relayed.ts'),
  cluster: () => import('./cluster.ts'),
  browser: () => import('./browser.ts'),
  'agent-channels': () => import('./agent-channels.ts'),
  mesh: () => import('./mesh.ts'),
  'local-api': () => import('./local-api.ts'),
  'local-api-tab': () => import('./local-api-tab.ts'),
  'agent-protocols': () => import('./agent-protocols.ts'),
  'hub-phone': () => import('./hub-phone.ts'),
  'join-storm': () => import('./join-storm.ts'),
  'relay-bulk': () => import('./relay-bulk.ts'),
  'link-cost': () => import('./link-cost.ts'),
  'route-scale': () => import('./route-scale.ts'),
  'overlay-sim': () => import('./overlay-sim.ts'),
  'mesh-scale': () => import('./mesh-scale.ts'),
  'link-cpu': () => import('./link-cpu.ts'),
};
