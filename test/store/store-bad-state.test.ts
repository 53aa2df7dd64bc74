import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../server/store/sqlite-store.ts';
import { startServer, type Runtime } from '../helpers/server-process.ts';
import { provenToken } from './proven-token.ts';

const newDir = () => mkdtempSync(join(tmpdir(), 'tabmesh-bad-'));

/** Starts a server expected to refuse: resolves with its stderr lines. */
async function refusedStart(dataDir: string, runtime: Runtime = 'node', wrap?: Parameters<typeof startServer>[0] extends infer O ? O extends { wrap?: infer W } ? W : never : never): Promise<string[]> {
  const err = await startServer({ runtime, dataDir, wrap }).then((s) => (void s.stop(), undefined), (e: Error) => e);
  expect(err?.message, 'the server must refuse to start').toMatch(/server exited with 1/);
  // The helper's message is `server exited with 1: <stderr lines>`.
  return err!.message.replace(/^server exited with 1: /, '').split('\n').filter(Boolean);
}

/** A database with some devices in it, as a server would have left it. */
async function populated(dir: string): Promise<string> {
  const file = join(dir, 'tabmesh.db');
  const s = createSqliteStore(file, { sweepIntervalMs: 0 });
  for (let i = 0; i < 2000; i++) await s.put('devices', `d${i}`, { id: `d${i}`, tokenHash: randomBytes(32).toString('hex') });
  await s.close();
  return file;
}

describe.each<Runtime>(['node', 'deno'])('upgrade in place (%s entry)', (runtime) => {
  it('a data dir with only admin.key and jwt-secret (the previous release) keeps its admin key and tokens', async () => {
    // The previous release's layout: the secrets as files, nothing else.
    const old = await startServer({ runtime, env: { TABMESH_STORE: 'memory' } });
    const key = old.adminKey!;
    expect(existsSync(join(old.dataDir, 'jwt-secret'))).toBe(true);
    expect(existsSync(join(old.dataDir, 'tabmesh.db'))).toBe(false);
    expect(old.stderr.join('\n')).toContain('nothing survives a restart');
    const { token } = await provenToken(old.url, key);
    expect(await old.stop()).toBe(0);

    const upgraded = await startServer({ runtime, dataDir: old.dataDir });
    expect(upgraded.stdout.join('\n')).not.toContain(key);
    expect(upgraded.stdout.join('\n')).toContain('Admin key: stored in');
    expect(statSync(join(old.dataDir, 'tabmesh.db')).mode & 0o777).toBe(0o600);
    const whoami = await fetch(`${upgraded.url}/api/whoami`, { headers: { authorization: `Bearer ${token}` } });
    expect(whoami.status, 'a token signed before the upgrade').toBe(200);
    await provenToken(upgraded.url, key);
    expect(await upgraded.stop()).toBe(0);
    // Next start reads both from the database: the old files no longer matter.
    writeFileSync(join(old.dataDir, 'jwt-secret'), 'x'.repeat(43));
    const again = await startServer({ runtime, dataDir: old.dataDir });
    expect((await fetch(`${again.url}/api/whoami`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(readFileSync(join(old.dataDir, 'admin.key'), 'utf8').trim()).toBe(`admin:${key}`);
    await again.stop();
  });
});

describe('bad state refuses the start with one line naming the file, and never starts empty over it', () => {
  it('a database written by a newer schema', async () => {
    const dir = newDir();
    const file = await populated(dir);
    const db = new Database(file);
    db.exec('PRAGMA user_version = 99');
    db.close();
    const before = readFileSync(file);
    const lines = await refusedStart(dir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(file);
    expect(lines[0]).toMatch(/newer tabmesh \(schema 99; this release knows up to 1\)/);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('a write-ahead log without its database (the database was moved or deleted)', async () => {
    const dir = newDir();
    const file = await populated(dir);
    writeFileSync(`${file}-wal`, randomBytes(4096));
    rmSync(file);
    const lines = await refusedStart(dir);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`${file} is missing but ${file}-wal is there`);
    expect(existsSync(file)).toBe(false);
  });

  it.each([
    ['empty', (f: string) => writeFileSync(f, ''), /the file is empty/],
    ['not SQLite', (f: string) => writeFileSync(f, randomBytes(8192)), /no SQLite header/],
    ['truncated', (f: string) => truncateSync(f, Math.floor(statSync(f).size / 2)), /truncated/],
    ['damaged pages', (f: string) => {
      const buf = readFileSync(f);
      randomBytes(4096).copy(buf, 8192);
      writeFileSync(f, buf);
    }, /damaged|not a usable/],
  ])('a %s file', async (_what, damage, message) => {
    const dir = newDir();
    const file = await populated(dir);
    damage(file);
    const before = readFileSync(file);
    for (const runtime of ['node', 'deno'] as const) {
      const lines = await refusedStart(dir, runtime);
      expect(lines, lines.join('\n')).toHaveLength(1);
      expect(lines[0]).toContain(file);
      expect(lines[0]).toMatch(message);
      expect(lines[0]).toMatch(/restore the file from a backup, or move it away/);
    }
    expect(readFileSync(file).equals(before), 'the file is left as it was').toBe(true);
  });
});
