// Relay-only A/B run of the signaling benchmark (no idle-memory part): for quick comparisons
// while tuning the hot path. Needs `npm run build` first. Env: KINDS (tabmesh,peerjs,bare,deno;
// deno = the tabmesh Deno entry), COUNTS (2,50,500), ROUNDS (2), DURATION (ms, 3000).
// BENCH_SERVER_NODE_ARGS passes node flags to the Node servers (e.g. --cpu-prof).
import { spawn } from 'node:child_process';
import { startNodeChild } from '../dist/bench/lib/child-process.js';
import { PINNED_CPUS, startServer, tabmeshBenchConfig } from '../dist/bench/signaling/servers.js';
import { windowFor, FULL_PLAN } from '../dist/bench/signaling/plan.js';

const counts = (process.env.COUNTS ?? '2,50,500').split(',').map(Number);
const kinds = (process.env.KINDS ?? 'tabmesh,peerjs,bare').split(',');
const loader = (await startNodeChild({ script: 'dist/bench/signaling/load-client.js', fdLimit: 8000, cpu: PINNED_CPUS?.load })).child;

async function startDeno() {
  const { env, apiKeys, removeDataDir } = tabmeshBenchConfig({ meshes: 1, maxPeers: 1000 });
  const deno = ['node_modules/.bin/deno', 'run', '-A', 'server/main.deno.ts'];
  const argv = PINNED_CPUS ? ['taskset', '-c', String(PINNED_CPUS.server), ...deno] : deno;
  const proc = spawn(argv[0], argv.slice(1), { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise((res) => { let out = ''; proc.stdout.on('data', (d) => { out += d; const m = /listening on https?:\/\/[^:\s]+:(\d+)/.exec(out); if (m) res(m[1]); }); });
  const url = `http://127.0.0.1:${port}`;
  return { kind: 'deno', pid: proc.pid, target: (n) => ({ kind: 'tabmesh', url, tokenUrl: url, apiKeys, peersPerKey: n }), stop: async () => {
    proc.kill('SIGTERM');
    await new Promise((res) => proc.once('exit', res));
    removeDataDir();
  } };
}
const servers = [];
for (const k of kinds) servers.push(k === 'deno' ? await startDeno() : await startServer(k, { meshes: 1, maxPeers: 1000, fdLimit: 8000 }));
for (let round = 0; round < Number(process.env.ROUNDS ?? 2); round++) for (const n of counts) for (const s of servers) {
  await loader.call('prepare', { target: s.target(n), count: n, idPrefix: `r${round}-${n}-${s.kind}` });
  const connected = await loader.call('connect');
  const r = await loader.call('relay', { window: windowFor(FULL_PLAN, n), warmupMs: 1000, durationMs: Number(process.env.DURATION ?? 3000), serverPid: s.pid });
  await loader.call('disconnect');
  console.log(`${s.kind.padEnd(8)} ${String(n).padStart(4)} clients: ${Math.round(r.framesPerSec)} f/s, ${Math.round(r.framesPerServerCpuSecond)} f/cpu-s, cpu ${Math.round(r.serverCpuPercent)}%, load ${Math.round(r.loaderCpuPercent)}%, p50 ${r.latencyMs.p50.toFixed(2)}, joined in ${connected.seconds.toFixed(2)} s`);
}
for (const s of servers) await s.stop();
await loader.stop();
process.exit(0);
