import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { BenchContext, BenchResult } from './lib/bench-types.ts';
import { startNodeChild } from './lib/child-process.ts';
import { summarize } from './lib/stats.ts';
import { fetchTokenResponse, idFor } from '../test/helpers/test-identity.ts';

const ADMIN = 'bench-admin-key-0123456789';

/** A signaling socket that queues frames by type (bench-local; tests have their own). */
async function joinSocket(wsUrl: string, token: string) {
  const ws = new WebSocket(wsUrl);
  const handlers = new Map<string, (f: any) => void>();
  ws.on('message', (d) => {
    const f = JSON.parse(String(d));
    handlers.get(f.type)?.(f);
  });
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  const welcome = new Promise((r) => handlers.set('welcome', r));
  ws.send(JSON.stringify({ type: 'hello', token }));
  await welcome;
  return { ws, on: (type: string, h: (f: any) => void) => handlers.set(type, h) };
}

/**
 * Tier-3 task path: HTTP submit → `task-assigned` pushed to an echo agent → agent PATCHes the
 * result → `task-updated` pushed to the submitter. Baselines in the same run: a bare HTTP round
 * trip (GET /health) and a bare signaling relay round trip (relay frame there and back).
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? 50 : 400;
  const { child: server, match } = await startNodeChild({
    script: 'dist/server/main.node.js',
    env: { PORT: '0', HOST: '127.0.0.1', TABMESH_API_KEYS: `admin:${ADMIN}`, TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-bench-')), LOG_LEVEL: 'warn', TABMESH_RATE_LIMIT_PER_SEC: '100000' },
    readyPattern: /listening on https?:\/\/[^:]+:(\d+)/,
  });
  const url = `http://127.0.0.1:${match![1]}`;
  try {
    const token = async (name: string) => (await fetchTokenResponse(url, ADMIN, name)).token;
    const [agentToken, subToken] = [await token('echo-agent'), await token('submitter')];
    const agent = await joinSocket(`${url.replace('http', 'ws')}/ws`, agentToken);
    const submitter = await joinSocket(`${url.replace('http', 'ws')}/ws`, subToken);
    const json = { 'content-type': 'application/json' };
    await fetch(`${url}/api/agents`, { method: 'POST', headers: { ...json, authorization: `Bearer ${agentToken}` }, body: JSON.stringify({ name: 'echo', platform: 'node', skills: [{ name: 'echo' }] }) });
    agent.on('task-assigned', (f) => {
      void fetch(`${url}/api/tasks/${f.payload.id}`, { method: 'PATCH', headers: { ...json, authorization: `Bearer ${agentToken}` }, body: JSON.stringify({ state: 'completed', output: f.payload.input }) });
    });
    agent.on('relay', (f) => agent.ws.send(JSON.stringify({ type: 'relay', to: f.from, payload: f.payload })));

    const waiters = new Map<string, () => void>();
    submitter.on('task-updated', (f) => waiters.get(f.payload.id)?.());
    let pendingRelay: (() => void) | undefined;
    submitter.on('relay', () => pendingRelay?.());

    const task: number[] = [];
    const http: number[] = [];
    const relay: number[] = [];
    const deadline = Date.now() + 60_000;
    for (let i = 0; i < n && Date.now() < deadline; i++) {
      let t = performance.now();
      await fetch(`${url}/health`).then((r) => r.arrayBuffer());
      http.push(performance.now() - t);

      t = performance.now();
      await new Promise<void>((resolve) => {
        pendingRelay = resolve;
        submitter.ws.send(JSON.stringify({ type: 'relay', to: idFor('echo-agent'), payload: { i } }));
      });
      relay.push(performance.now() - t);

      t = performance.now();
      const res = await fetch(`${url}/api/tasks`, { method: 'POST', headers: { ...json, authorization: `Bearer ${subToken}` }, body: JSON.stringify({ skill: 'echo', input: { i }, requestId: `r${i}` }) });
      const { task: created } = (await res.json()) as { task: { id: string; state: string } };
      if (created.state !== 'completed') await new Promise<void>((resolve) => waiters.set(created.id, resolve));
      task.push(performance.now() - t);
      if (i % 100 === 0) ctx.log(`${i}/${n}`);
    }
    agent.ws.close();
    submitter.ws.close();
    const row = (path: string, v: number[], target: string) => {
      const s = summarize(v);
      return { path, count: s.count, 'p50 ms': +s.p50.toFixed(2), 'p99 ms': +s.p99.toFixed(2), target };
    };
    const taskSummary = summarize(task);
    return {
      rows: [
        row('task submit → result pushed', task, `p50 < 500 ms: ${taskSummary.p50 < 500 ? 'pass' : 'FAIL'}`),
        row('baseline: HTTP GET /health', http, ''),
        row('baseline: signaling relay round trip', relay, ''),
      ],
      notes: [
        'One echo agent on a raw signaling socket; submit, assignment push, PATCH result and result push all go through the real server process on loopback.',
        'Sequential requests (one in flight), so the numbers are latency, not throughput.',
      ],
      settings: ['server: `TABMESH_RATE_LIMIT_PER_SEC=100000` (default 100)'],
      details: { task, http, relay },
    };
  } finally {
    await server.stop();
  }
}
