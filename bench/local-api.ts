import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectLocalApi } from '../headless-node/local-api/client.ts';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { startNodeChild } from './lib/child-process.ts';
import { interleave } from './lib/interleave.ts';
import { summarize } from './lib/stats.ts';
import { startTabmeshNode, timeCli as cli } from './lib/tabmesh-cli.ts';

const KEY = 'bench-agent-key-0123456789';

export const row = (path: string, what: string, ms: number[]): BenchRow => {
  const s = summarize(ms);
  return { path, measured: what, n: s.count, 'p50 ms': s.p50, 'p99 ms': s.p99, 'max ms': s.max };
};

/**
 * `tabmesh call` through a running node's local API against the one-shot join (token, signaling,
 * a new DataChannel, leave), both to a Node peer's echo; and the cost a local-API process adds when
 * it serves a skill to a remote peer, against the same skill in the node's worker thread.
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const [oneShotN, cliN, apiN, skillN, startN] = ctx.quick ? [8, 15, 100, 200, 15] : [40, 60, 500, 2000, 30];
  const { child: server, match } = await startNodeChild({
    script: 'dist/server/main.node.js',
    env: { PORT: '0', HOST: '127.0.0.1', TABMESH_API_KEYS: `agent:${KEY}`, TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-bench-')), LOG_LEVEL: 'warn', TABMESH_RATE_LIMIT_PER_SEC: '100000' },
    readyPattern: /listening on https?:\/\/[^:]+:(\d+)/,
  });
  const url = `http://127.0.0.1:${match![1]}`;
  const node = (name: string) => startTabmeshNode({ url, key: KEY, name, skills: 'echo', bindAddress: '127.0.0.1' });
  const [front, target] = await Promise.all([node('front'), node('target')]);
  try {
    const input = JSON.stringify({ text: 'hello' });
    const base = ['call', '--skill', 'echo', '--to', target.peerId, '--input', input];
    ctx.log('warming up');
    const api = await connectLocalApi(front.dataDir);
    await api.call('echo', { text: 'warm' }, { peer: target.peerId });

    ctx.log(`one-shot call x${oneShotN}, --data-dir x${cliN}, local API x${apiN}, process starts x${startN}, interleaved`);
    const apiCall = async () => {
      const t0 = performance.now();
      const c = await connectLocalApi(front.dataDir);
      await c.call('echo', { text: 'hello' }, { peer: target.peerId });
      c.close();
      return performance.now() - t0;
    };
    const { oneShot, viaNodeCli, viaNodeApi, processStart, nodeStart } = await interleave({
      oneShot: { n: oneShotN, sample: () => cli([...base, '--url', url, '--key', KEY, '--bind-address', '127.0.0.1']) },
      viaNodeCli: { n: cliN, sample: () => cli([...base, '--data-dir', front.dataDir]) },
      viaNodeApi: { n: apiN, sample: apiCall },
      processStart: { n: startN, sample: () => cli(['call', '--help']) },
      nodeStart: { n: startN, sample: () => cli(['-e', '0'], true) },
    }, ctx.log);

    ctx.log(`skill served by a local-API process vs in the worker thread, x${skillN} each`);
    const served = await connectLocalApi(target.dataDir);
    await served.register('bench-local', [{ name: 'echo-local' }], (_skill, data) => data);
    const skillCall = (skill: string) => async () => {
      const t0 = performance.now();
      await api.call(skill, { text: 'hello' }, { peer: target.peerId });
      return performance.now() - t0;
    };
    const { inWorker, viaLocalApi } = await interleave({ inWorker: { n: skillN, sample: skillCall('echo') }, viaLocalApi: { n: skillN, sample: skillCall('echo-local') } });
    served.close();
    api.close();
    const added = summarize(viaLocalApi).p50 - summarize(inWorker).p50;
    return {
      rows: [
        row('tabmesh call, one-shot join', 'CLI process wall time', oneShot),
        row('tabmesh call --data-dir (running node)', 'CLI process wall time', viaNodeCli),
        row('tabmesh call --help', 'CLI process start alone', processStart),
        row('node -e 0', 'bare Node start (the floor)', nodeStart),
        row('local API: connect, call, close', 'in a running client', viaNodeApi),
        row('remote call, skill in node worker thread', 'caller round trip', inWorker),
        { ...row('remote call, skill in a local-API process', 'caller round trip', viaLocalApi), 'added p50 ms': +added.toFixed(3), target: `added p50 < 1 ms: ${added < 1 ? 'pass' : 'FAIL'}` },
      ],
      notes: [
        `Target: a \`tabmesh node --skills echo\` on loopback (direct DataChannel); callers ask it for echo of ${input}.`,
        'CLI rows include starting Node and loading the CLI (the `--help` row is that cost alone, `node -e 0` the floor no CLI written in JS can beat); the local-API row is the call itself as a program using headless-node/local-api/client.ts (or Python) sees it.',
        `A skill served through the local API adds ${Math.round(added * 1000) / 1000} ms p50 over the same echo in the node's worker thread (target < 1 ms).`,
        'The first five rows are sampled interleaved (spread over the same rounds), the two skill rows alternately, so load drift favours none.',
        'A hub tab as the target: npm run bench -- local-api-tab.',
      ],
      settings: [
        'server: `TABMESH_RATE_LIMIT_PER_SEC=100000` (default 100; the CLI calls must not be throttled), on 127.0.0.1',
        'both `tabmesh node` and every one-shot `tabmesh call`: `--bind-address 127.0.0.1` (loopback only)',
      ],
      details: { oneShot, viaNodeCli, viaNodeApi, processStart, nodeStart, inWorker, viaLocalApi },
    };
  } finally {
    await Promise.all([front.stop(), target.stop()]);
    await server.stop();
  }
}
