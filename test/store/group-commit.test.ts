import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'libsql';
import { expect, it } from 'vitest';
import { createSqliteStore } from '../../server/store/sqlite-store.ts';

const rowsSeenByAnotherConnection = (db: Database.Database) => Number((db.prepare("SELECT count(*) AS n FROM kv WHERE ns = 'g'").get() as { n: number }).n);

it.each(['normal', 'full'] as const)('embedded store (sync=%s): writes made together share a commit and resolve only after it; answers follow call order', async (sync) => {
  const file = join(mkdtempSync(join(tmpdir(), 'tabmesh-group-')), 'tabmesh.db');
  const store = createSqliteStore(file, { sweepIntervalMs: 0, sync });
  const other = new Database(file);
  const resolved: number[] = [];
  const writes = Array.from({ length: 50 }, (_, i) => store.put('g', `k${i}`, i).then(() => resolved.push(i)));
  // Compare-and-set answers are decided in call order, inside the same open transaction.
  const claims = [store.create('g', 'claim', 'first'), store.create('g', 'claim', 'second')];
  // Nothing is committed yet, so nothing may have been acknowledged either.
  expect(rowsSeenByAnotherConnection(other)).toBe(0);
  await Promise.resolve();
  expect(resolved).toEqual([]);
  await Promise.all(writes);
  expect(await Promise.all(claims)).toEqual([true, false]);
  expect(rowsSeenByAnotherConnection(other)).toBe(51);
  // A read with no write waiting answers at once (no commit to wait for).
  expect(await store.get('g', 'claim')).toBe('first');
  other.close();
  await store.close();
});
