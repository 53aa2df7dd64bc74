import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { CheckResult } from '../../headless-node/doctor/check-result.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { runCli } from '../node-peer/helpers/tabmesh-cli.ts';

let server: ServerProcess;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server?.stop();
});

async function doctor(dataDir: string, env: Record<string, string> = {}): Promise<{ code: number | null; checks: CheckResult[] }> {
  const run = await runCli(['doctor', '--url', server.url, '--data-dir', dataDir, '--timeout-ms', '2000', '--json'], { env });
  return { code: run.code, checks: (JSON.parse(run.stdout) as { checks: CheckResult[] }).checks.filter((c) => /^(store|data dir)/.test(c.title)) };
}

describe('tabmesh doctor --data-dir', () => {
  test('a zero-config server\'s data dir: embedded store, writable, free space, 700/600', async () => {
    const { checks } = await doctor(server.dataDir);
    expect(checks).toEqual([
      { status: 'ok', title: `data dir ${server.dataDir} is writable` },
      { status: 'ok', title: expect.stringMatching(/^data dir: [\d.]+ [MG]iB free$/) },
      { status: 'ok', title: 'data dir permissions: directory 700, secrets and database 600' },
      { status: 'ok', title: expect.stringMatching(new RegExp(`^store: embedded database ${join(server.dataDir, 'tabmesh.db')} \\(schema 1, [\\d.]+ MiB\\)$`)) },
    ]);
  });

  test('loose modes, a damaged database, the memory store and a missing dir are reported with the fix', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabmesh-doctor-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'admin.key'), 'admin:tma_x\n', { mode: 0o644 });
    writeFileSync(join(dir, 'tabmesh.db'), 'not a database', { mode: 0o600 });
    const { code, checks } = await doctor(dir);
    expect(code).toBe(1);
    expect(checks.find((c) => c.title.startsWith('data dir permissions'))).toMatchObject({
      status: 'warn', title: `data dir permissions: ${dir} is 755 (want 700); admin.key is 644 (want 600)`, fix: expect.stringContaining(`chmod 700 ${dir}`),
    });
    expect(checks.find((c) => c.title.startsWith('store'))).toMatchObject({ status: 'fail', title: `store: ${join(dir, 'tabmesh.db')} is not usable (no SQLite header)` });

    const memory = await doctor(dir, { TABMESH_STORE: 'memory' });
    expect(memory.checks[0]).toMatchObject({ status: 'warn', title: 'store: memory (TABMESH_STORE=memory)', fix: expect.stringContaining('nothing survives a restart') });
    const missing = await doctor(join(dir, 'nope'));
    expect(missing.checks).toEqual([expect.objectContaining({ status: 'fail', title: `data dir ${join(dir, 'nope')} does not exist` })]);
  });

  test('without --url it checks this machine and the store, and skips the server checks', async () => {
    const run = await runCli(['doctor', '--data-dir', server.dataDir, '--json']);
    expect(run.code, run.stderr).toBe(0);
    const { checks } = JSON.parse(run.stdout) as { checks: CheckResult[] };
    expect(checks).toContainEqual({ status: 'skip', title: 'server, token, signaling and ICE checks: no --url given' });
    expect(checks.find((c) => c.title.startsWith('store:'))).toMatchObject({ status: 'ok', title: expect.stringContaining(join(server.dataDir, 'tabmesh.db')) });
    expect(checks.map((c) => c.status)).toEqual(['ok', 'ok', 'skip', 'ok', 'ok', 'ok', 'ok']);
  });
});
