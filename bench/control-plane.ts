import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore } from '../server/store/memory-store.ts';
import { createSqliteStore } from '../server/store/sqlite-store.ts';
import type { Store } from '../server/store/store.ts';
import { ADMIN, inProcessServer, type Caller } from './control-plane/in-process-server.ts';
import { measureStartup } from './control-plane/startup.ts';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { summarize } from './lib/stats.ts';

type Kind = 'memory' | 'embedded' | 'embedded, sync=full';

function openStore(kind: Kind): Store {
  if (kind === 'memory') return createMemoryStore();
  const file = join(mkdtempSync(join(tmpdir(), 'tm-bench-store-')), 'tabmesh.db');
  return createSqliteStore(file, { sync: kind === 'embedded' ? 'normal' : 'full' });
}

async function timed(n: number, op: (i: number) => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await op(i);
    out.push(performance.now() - t);
  }
  return out;
}

/** A device paired the way the hub pairs one: code → redeem → approve → poll; returns its device token. */
async function pairDevice(c: Caller, admin: string, ip: string): Promise<{ redeemApprove: number; deviceToken: string }> {
  const { code } = (await c.call('POST', '/api/pairing/codes', { token: admin })).body as { code: string };
  const t = performance.now();
  const redeemed = await c.call('POST', '/api/pairing/redeem', { body: { code, name: 'bench device' }, ip });
  if (redeemed.status !== 201) throw new Error(`redeem: ${redeemed.status} ${JSON.stringify(redeemed.body)}`);
  const approved = await c.call('POST', `/api/pairing/requests/${redeemed.body.requestId}/approve`, { token: admin });
  if (approved.status !== 200) throw new Error(`approve: ${approved.status} ${JSON.stringify(approved.body)}`);
  const redeemApprove = performance.now() - t;
  const { app } = c.server;
  const res = await app.request(`/api/pairing/requests/${redeemed.body.requestId}/status`, { headers: { 'x-pairing-secret': redeemed.body.secret } });
  return { redeemApprove, deviceToken: ((await res.json()) as { deviceToken: string }).deviceToken };
}

/** Submit → assigned (the agent is connected) → completed, `concurrency` lifecycles in flight. */
async function lifecycles(c: Caller, submitters: string[], agent: { token: string; peerId: string }, n: number, concurrency: number, idFrom: number) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async (_, w) => {
    for (let i = next++; i < n; i = next++) {
      const t = performance.now();
      const sub = await c.call('POST', '/api/tasks', { token: submitters[w]!, body: { skill: 'echo', input: { i }, requestId: `r${idFrom + i}`, to: agent.peerId } });
      if (sub.body?.task?.state !== 'assigned') throw new Error(`submit: ${sub.status} ${JSON.stringify(sub.body)}`);
      const done = await c.call('PATCH', `/api/tasks/${sub.body.task.id}`, { token: agent.token, body: { state: 'completed', output: { i } } });
      if (done.status !== 200) throw new Error(`complete: ${done.status} ${JSON.stringify(done.body)}`);
      latencies.push(performance.now() - t);
    }
  }));
  return { latencies, elapsedMs: performance.now() - started };
}

interface Fixture {
  c: Caller;
  admin: string;
  deviceToken: string;
  agent: { token: string; peerId: string };
  submitters: string[];
}

/** A server on a fresh store of `kind` with one paired device, a connected echo agent and 8 submitters. */
async function setUp(kind: Kind): Promise<Fixture> {
  const c = await inProcessServer(openStore(kind));
  const admin = (await c.token(ADMIN)).token;
  const { deviceToken } = await pairDevice(c, admin, '10.1.0.1');
  const agent = await c.token(ADMIN);
  await c.connectAgent(agent.token);
  const reg = await c.call('POST', '/api/agents', { token: agent.token, body: { name: 'echo', platform: 'node', skills: [{ name: 'echo' }] } });
  if (reg.status >= 300) throw new Error(`register: ${reg.status} ${JSON.stringify(reg.body)}`);
  const submitters = await Promise.all(Array.from({ length: 8 }, async () => (await c.token(ADMIN)).token));
  return { c, admin, deviceToken, agent, submitters };
}

const BLOCKS = 10;

/**
 * Runs `op` for every store in BLOCKS blocks of `n / BLOCKS` each, the stores alternating block by
 * block (order reversed every other block), so the machine's drift over the run (other jobs on a
 * shared VM) hits every store alike instead of favouring the one measured last.
 */
async function interleavedBlocks<T>(kinds: Kind[], n: number, op: (kind: Kind, count: number, from: number) => Promise<T[]>): Promise<Map<Kind, T[]>> {
  const out = new Map(kinds.map((k) => [k, [] as T[]]));
  for (let b = 0; b < BLOCKS; b++) {
    const from = Math.floor((b * n) / BLOCKS);
    const count = Math.floor(((b + 1) * n) / BLOCKS) - from;
    for (const kind of b % 2 ? [...kinds].reverse() : kinds) out.get(kind)!.push(...(await op(kind, count, from)));
  }
  return out;
}

async function measureAll(kinds: Kind[], ctx: BenchContext) {
  const n = ctx.quick ? 200 : 2000;
  const fixtures = new Map<Kind, Fixture>();
  try {
    for (const kind of kinds) fixtures.set(kind, await setUp(kind));
    const f = (kind: Kind) => fixtures.get(kind)!;
    ctx.log('pairing');
    const redeemApprove = await interleavedBlocks(kinds, ctx.quick ? 50 : 300, async (kind, count, from) => {
      const out: number[] = [];
      for (let i = from; i < from + count; i++) out.push((await pairDevice(f(kind).c, f(kind).admin, `10.0.${i >> 8}.${i & 255}`)).redeemApprove);
      return out;
    });
    ctx.log('token issue with a device token');
    const issue = await interleavedBlocks(kinds, n, async (kind, count) => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const send = await f(kind).c.tokenRequest(f(kind).deviceToken);
        const t = performance.now();
        await send();
        out.push(performance.now() - t);
      }
      return out;
    });
    ctx.log('task lifecycles, one at a time');
    const sequential = await interleavedBlocks(kinds, ctx.quick ? 100 : 500, (kind, count, from) => {
      const { c, submitters, agent } = f(kind);
      return timed(count, async (i) => {
        const sub = await c.call('POST', '/api/tasks', { token: submitters[0]!, body: { skill: 'echo', input: { i }, requestId: `s${from + i}`, to: agent.peerId } });
        await c.call('PATCH', `/api/tasks/${sub.body.task.id}`, { token: agent.token, body: { state: 'completed', output: { i } } });
      });
    });
    ctx.log('task lifecycles, 8 in flight');
    const concurrent = await interleavedBlocks(kinds, n, async (kind, count, from) => [await lifecycles(f(kind).c, f(kind).submitters, f(kind).agent, count, 8, from)]);
    return new Map(kinds.map((kind) => {
      const blocks = concurrent.get(kind)!;
      const elapsedMs = blocks.reduce((s, b) => s + b.elapsedMs, 0);
      return [kind, {
        issue: issue.get(kind)!, redeemApprove: redeemApprove.get(kind)!, sequential: sequential.get(kind)!,
        concurrent: { latencies: blocks.flatMap((b) => b.latencies), perSecond: n / (elapsedMs / 1000) },
      }];
    }));
  } finally {
    for (const { c } of fixtures.values()) await c.server.shutdown();
  }
}

/**
 * Control-plane operations on the embedded store against the in-memory store, in one run: the
 * real app, store and hub in this process (`app.request`, no HTTP stack), so the difference is
 * the store. Then start-up time of a real server process over a full database file.
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const kinds: Kind[] = ['memory', 'embedded', 'embedded, sync=full'];
  const results = await measureAll(kinds, ctx);
  const base = results.get('memory')!;
  const rows: BenchRow[] = [];
  const row = (op: string, kind: Kind, v: number[], baseline: number[], target: (p50: number, p99: number) => string) => {
    const s = summarize(v);
    const b = summarize(baseline);
    rows.push({ operation: op, store: kind, count: s.count, 'p50 ms': +s.p50.toFixed(3), 'p99 ms': +s.p99.toFixed(3), 'p50 vs memory': `${(s.p50 / b.p50).toFixed(2)}x`, target: target(s.p50, s.p99) });
  };
  for (const kind of kinds) {
    const r = results.get(kind)!;
    const vsMemory = (p50: number, b: number[]) => (kind === 'memory' ? '' : `p50 <= 2x memory: ${p50 <= 2 * summarize(b).p50 ? 'pass' : 'FAIL'}`);
    row('token issue with a device token', kind, r.issue, base.issue, (p50, p99) => `p99 < 2 ms: ${p99 < 2 ? 'pass' : 'FAIL'}${kind === 'memory' ? '' : `; ${vsMemory(p50, base.issue)}`}`);
    row('task submit → assigned → completed (one at a time)', kind, r.sequential, base.sequential, (p50) => vsMemory(p50, base.sequential));
    row('task lifecycle, 8 in flight', kind, r.concurrent.latencies, base.concurrent.latencies, () => `${Math.round(r.concurrent.perSecond)}/s; >= 1000/s: ${r.concurrent.perSecond >= 1000 ? 'pass' : 'FAIL'}`);
    row('pairing redeem → approve', kind, r.redeemApprove, base.redeemApprove, (p50) => vsMemory(p50, base.redeemApprove));
  }
  ctx.log('start-up over a full database');
  const startup = await measureStartup(ctx.quick);
  for (const s of startup.rows) rows.push(s);
  return {
    rows,
    notes: [
      'In-process: the real Hono app, store, pairing, task queue and signaling hub, called through app.request (no HTTP stack, no network), so the columns differ by the store alone.',
      'Token issue: a fresh key-derived identity per request, nonce and signature prepared beforehand; the time is POST /api/token (device-token hash check, revocation check, proof check, JWT).',
      'Task lifecycle: POST /api/tasks to a connected agent (answered assigned) then PATCH completed by the agent. Each run starts with an empty store, so the task list grows during the run.',
      `embedded: SQLite WAL, synchronous=NORMAL (the default); "sync=full" fsyncs every commit. Database files under ${tmpdir()}.`,
      `The three stores run side by side; every operation is measured in ${BLOCKS} blocks per store, the stores alternating block by block (order reversed every other block), so load drift favours none. Start-up: the full file and the empty memory store alternate per sample.`,
      'Shared 2-core VM with other jobs running: compare rows within one run, not across runs.',
    ],
    settings: [
      'the server runs in the benchmark process and is called through `app.request` (no HTTP stack, no network)',
      '`embedded, sync=full`: `synchronous=FULL` (the default is NORMAL); all stores start empty',
      'start-up rows: a data dir pre-filled with 10,000 devices and 100,000 finished tasks; the empty baseline uses `TABMESH_STORE=memory`',
    ],
    details: Object.fromEntries([...results].map(([k, r]) => [k, { issue: r.issue, redeemApprove: r.redeemApprove, sequential: r.sequential, concurrent: r.concurrent }])),
  };
}
