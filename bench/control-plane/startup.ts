import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStore } from '../../server/store/sqlite-store.ts';
import type { BenchRow } from '../lib/bench-types.ts';
import { startNodeChild } from '../lib/child-process.ts';
import { median } from '../lib/stats.ts';
import { ADMIN } from './in-process-server.ts';

const HOUR = 3_600_000;

/** Fills a data dir the way a busy server leaves it: devices (hashed tokens) and finished tasks within their retention. */
async function fullDataDir(devices: number, tasks: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'tm-bench-startup-'));
  const store = createSqliteStore(join(dir, 'tabmesh.db'), { sweepIntervalMs: 0 });
  const now = Date.now();
  for (let i = 0; i < devices; i++) {
    const id = randomBytes(8).toString('hex');
    await store.put('devices', id, { id, mesh: 'default', name: `device ${i}`, role: 'agent', createdAt: now, tokenHash: randomBytes(32).toString('hex') });
  }
  for (let i = 0; i < tasks; i++) {
    const id = randomUUID();
    await store.put('tasks:default', id, {
      id, mesh: 'default', requestId: `r${i}`, skill: 'echo', input: { i }, output: { i }, submitter: 'k'.padEnd(33, '0'), state: 'completed',
      agentId: 'k'.padEnd(33, '1') + ':echo', targetPeer: 'k'.padEnd(33, '1'), createdAt: now, updatedAt: now, expiresAt: now + 300_000,
    }, HOUR);
  }
  await store.close();
  return dir;
}

/** Milliseconds from spawning `node dist/server/main.node.js` to its "listening" line. */
async function timeToListen(env: Record<string, string>): Promise<number> {
  const t = performance.now();
  const { child } = await startNodeChild({
    script: 'dist/server/main.node.js',
    env: { PORT: '0', HOST: '127.0.0.1', TABMESH_API_KEYS: `admin:${ADMIN}`, LOG_LEVEL: 'warn', ...env },
    readyPattern: /listening on https?:\/\/[^:]+:(\d+)/,
  });
  const ms = performance.now() - t;
  await child.stop();
  return ms;
}

/** Start-up with 10,000 devices and 100,000 finished tasks in the file, against an empty memory store. */
export async function measureStartup(quick: boolean): Promise<{ rows: BenchRow[] }> {
  const devices = quick ? 1000 : 10_000;
  const tasks = quick ? 10_000 : 100_000;
  const dir = await fullDataDir(devices, tasks);
  const file = join(dir, 'tabmesh.db');
  const opens: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    const s = createSqliteStore(file, { sweepIntervalMs: 0 });
    opens.push(performance.now() - t);
    await s.close();
  }
  const embedded: number[] = [];
  const memory: number[] = [];
  for (let i = 0; i < 3; i++) {
    embedded.push(await timeToListen({ TABMESH_DATA_DIR: dir }));
    memory.push(await timeToListen({ TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-bench-empty-')), TABMESH_STORE: 'memory' }));
  }
  const what = `${devices.toLocaleString('en')} devices + ${tasks.toLocaleString('en')} finished tasks (${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB)`;
  const pass = (ms: number) => `< 1 s: ${ms < 1000 ? 'pass' : 'FAIL'}`;
  return {
    rows: [
      { operation: `open the database (header, quick_check, write probe): ${what}`, store: 'embedded', count: opens.length, 'p50 ms': +median(opens).toFixed(1), target: pass(median(opens)) },
      { operation: `process start to "listening": ${what}`, store: 'embedded', count: embedded.length, 'p50 ms': +median(embedded).toFixed(1), target: pass(median(embedded)) },
      { operation: 'process start to "listening": empty', store: 'memory', count: memory.length, 'p50 ms': +median(memory).toFixed(1), target: '' },
    ],
  };
}
