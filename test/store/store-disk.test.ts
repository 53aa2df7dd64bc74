import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSqliteStore } from '../../server/store/sqlite-store.ts';
import { api, startServer } from '../helpers/server-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { provenToken } from './proven-token.ts';

const ADMIN = 'admin-key-for-disk-tests-0123456789';

/** Private mount namespaces need root (CAP_SYS_ADMIN); as root, file modes alone cannot make a file read-only. */
const canMount = (() => {
  try {
    execFileSync('unshare', ['--mount', 'true'], { stdio: 'ignore' });
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

/** Runs the server in a private mount namespace where `setup` (shell) has mounted something over its data dir. */
const inMountNs = (setup: string) => (cmd: string, args: string[]): [string, string[]] =>
  ['unshare', ['--mount', '--propagation', 'private', 'sh', '-c', `${setup} && exec "$0" "$@"`, cmd, ...args]];

/** Fills the file system behind `path` (seen through /proc/<pid>/root when in another namespace) until ENOSPC. */
function fill(path: string): void {
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(4096, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
}

describe.skipIf(!canMount)('disk trouble (real mounts in a private mount namespace)', () => {
  it('a read-only data dir refuses the start with one line naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabmesh-ro-'));
    const s = createSqliteStore(join(dir, 'tabmesh.db'), { sweepIntervalMs: 0 });
    await s.put('devices', 'd1', { id: 'd1' });
    await s.close();
    const err = await startServer({ dataDir: dir, env: { TABMESH_API_KEYS: `admin:${ADMIN}` }, wrap: inMountNs(`mount --bind ${dir} ${dir} && mount -o remount,bind,ro ${dir}`) })
      .then((srv) => (void srv.stop(), undefined), (e: Error) => e);
    const lines = err!.message.replace(/^server exited with 1: /, '').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(join(dir, 'tabmesh.db'));
    expect(lines[0]).toMatch(/cannot write .*make .* writable/);
  });

  it('a full disk refuses the start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabmesh-full-'));
    const err = await startServer({
      dataDir: dir, env: { TABMESH_API_KEYS: `admin:${ADMIN}` },
      wrap: inMountNs(`mount -t tmpfs -o size=64k tmpfs ${dir} && (dd if=/dev/zero of=${dir}/filler bs=4k 2>/dev/null; true)`),
    }).then((srv) => (void srv.stop(), undefined), (e: Error) => e);
    const lines = err!.message.replace(/^server exited with 1: /, '').split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/tabmesh: cannot start: .*tabmesh\.db.*(full|no space)/i);
  });

  it('a disk that fills up while running: writes answer 503 store-unavailable, nothing acknowledged is lost, and it recovers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tabmesh-fill-'));
    const server = await startServer({ dataDir: dir, env: { TABMESH_API_KEYS: `admin:${ADMIN}` }, wrap: inMountNs(`mount -t tmpfs -o size=4m tmpfs ${dir}`) });
    const { token } = await provenToken(server.url, ADMIN);
    const stored: string[] = [];
    const register = (name: string) => api(server, 'POST', '/api/agents', { token, body: { name, skills: [], platform: 'node' } });
    for (let i = 0; i < 50; i++) if ((await register(`before-${i}`)).status < 300) stored.push(`before-${i}`);
    expect(stored).toHaveLength(50);
    const filler = `/proc/${server.proc.pid}/root${dir}/filler`;
    fill(filler);
    let refused: { status: number; body: any } | undefined;
    // Free pages inside the database absorb some writes; keep writing until the disk says no.
    for (let i = 0; i < 20_000 && !refused; i++) {
      const r = await register(`agent-${i}`);
      if (r.status === 200 || r.status === 201) stored.push(`agent-${i}`);
      else refused = r;
    }
    expect(refused?.status, JSON.stringify(refused?.body)).toBe(503);
    expect(refused?.body.error.code).toBe('store-unavailable');
    // The operator's log says why (stderr arrives on its own schedule: wait for it).
    await waitFor(() => /store unavailable","route":"\/api\/agents".*full: free space/.test(server.stderr.join('\n')), 10_000, `the log line; stderr: ${server.stderr.join('\n')}`);
    expect((await fetch(`${server.url}/ready`)).status, 'reads still work').toBe(200);
    rmSync(filler);
    const after = await register('after-the-disk-was-freed');
    expect(after.status).toBeLessThan(300);
    // Every registration the server acknowledged is there.
    const listed = new Set(((await api(server, 'GET', '/api/agents', { token })).body.agents as Array<{ name: string }>).map((a) => a.name));
    expect(stored.filter((n) => !listed.has(n))).toEqual([]);
    expect(listed.has('after-the-disk-was-freed')).toBe(true);
    expect(await server.stop()).toBe(0);
  });
});
