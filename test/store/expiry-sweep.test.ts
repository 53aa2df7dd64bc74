import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMemoryStore } from '../../server/store/memory-store.ts';
import { createSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { waitFor } from '../helpers/wait-for.ts';

const NONCES = 100_000;
const TTL_MS = 400;
const MiB = 1024 * 1024;

/** Issues `n` token nonces the way POST /api/token/nonce does, none of them ever used or read. */
async function issueNonces(store: Store, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await store.put('token-nonce', randomUUID(), true, TTL_MS);
}

describe('expiry does not depend on reads', () => {
  it('memory: 100,000 unused nonces are gone after their TTL; entries back to the starting count', async () => {
    const store = createMemoryStore(Date.now, { sweepIntervalMs: 50 });
    await store.put('devices', 'd1', { id: 'd1' });
    const start = await store.entryCount!();
    await issueNonces(store, NONCES);
    expect(await store.entryCount!()).toBeGreaterThan(NONCES / 2);
    await waitFor(async () => (await store.entryCount!()) === start, 20_000, 'the sweep to remove every expired nonce');
    expect(await store.get('devices', 'd1')).toEqual({ id: 'd1' });
    await store.close();
  }, 120_000);

  it('embedded: the same, and the database file shrinks back instead of growing round after round', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'tabmesh-sweep-')), 'tabmesh.db');
    const store = createSqliteStore(file, { sweepIntervalMs: 50 });
    await store.put('devices', 'd1', { id: 'd1' });
    const start = await store.entryCount!();
    const size = () => statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
    for (let round = 0; round < 2; round++) {
      await issueNonces(store, NONCES);
      // 100,000 live nonces take ~14 MiB in the file (measured); kept forever, two rounds would take ~28.
      await waitFor(async () => (await store.entryCount!()) === start, 60_000, `round ${round}: the sweep to remove every expired nonce`);
      // Freed pages go back to the file system a bounded number per sweep step; the -wal file is capped at 8 MiB.
      await waitFor(() => statSync(file).size < 4 * MiB, 20_000, `round ${round}: tabmesh.db to shrink below 4 MiB (now ${statSync(file).size})`);
      expect(size()).toBeLessThan(14 * MiB);
    }
    expect(await store.get('devices', 'd1')).toEqual({ id: 'd1' });
    await store.close();
  }, 240_000);
});
