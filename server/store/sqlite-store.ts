import type Database from 'libsql';
import { startExpirySweeper } from './expiry-sweeper.ts';
import { createGroupCommit } from './group-commit.ts';
import { createLocalPubSub } from './local-pubsub.ts';
import { explainSqliteError, openDatabaseFile, type SyncMode } from './sqlite-file.ts';
import { StoreUnavailableError, type Store } from './store.ts';

export interface SqliteStoreOptions {
  sync?: SyncMode;
  now?: () => number;
  /** How often expired rows nobody reads are deleted; 0 disables. */
  sweepIntervalMs?: number;
  /** Most rows deleted per sweep step (one short transaction each). */
  sweepBatch?: number;
  /** Reports a failed background sweep (a full or read-only disk); requests report their own. */
  onSweepError?: (message: string) => void;
}

// Positional parameters bound from an array: libsql binds those a third cheaper than named ones.
const live = (col: string, now: string) => `(${col} IS NULL OR ${col} > ${now})`;

/**
 * The embedded database (the default store): one SQLite file in the data dir, opened through
 * libsql (loads prebuilt on Node and Deno alike). Calls made in one event-loop turn share one
 * transaction (group-commit.ts) and resolve only once it is committed, so an acknowledged write
 * survives kill -9.
 * Publish/subscribe stays in-process: one server owns the file.
 */
export function createSqliteStore(file: string, opts: SqliteStoreOptions = {}): Store {
  const now = opts.now ?? Date.now;
  const db = openDatabaseFile(file, opts.sync ?? 'normal');
  const pubsub = createLocalPubSub();
  const q = {
    get: db.prepare(`SELECT json FROM kv WHERE ns = ?1 AND id = ?2 AND ${live('expires_at', '?3')}`),
    put: db.prepare('INSERT INTO kv (ns, id, json, expires_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ns, id) DO UPDATE SET json = excluded.json, expires_at = excluded.expires_at'),
    // Inserts, or takes over an expired row nobody swept yet; `changes` says whether it did.
    create: db.prepare(`INSERT INTO kv (ns, id, json, expires_at) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (ns, id) DO UPDATE SET json = excluded.json, expires_at = excluded.expires_at WHERE NOT ${live('kv.expires_at', '?5')}`),
    swap: db.prepare(`UPDATE kv SET json = ?5, expires_at = ?6 WHERE ns = ?1 AND id = ?2 AND json = ?3 AND ${live('expires_at', '?4')}`),
    swapDelete: db.prepare(`DELETE FROM kv WHERE ns = ?1 AND id = ?2 AND json = ?3 AND ${live('expires_at', '?4')}`),
    delete: db.prepare(`DELETE FROM kv WHERE ns = ?1 AND id = ?2 RETURNING ${live('expires_at', '?3')} AS live`),
    list: db.prepare(`SELECT json FROM kv WHERE ns = ?1 AND ${live('expires_at', '?2')}`),
    incr: db.prepare(`INSERT INTO kv (ns, id, json, expires_at) VALUES (?1, ?2, '1', ?3) ON CONFLICT (ns, id) DO UPDATE SET
      json = CASE WHEN ${live('kv.expires_at', '?4')} THEN CAST(CAST(kv.json AS INTEGER) + 1 AS TEXT) ELSE '1' END,
      expires_at = CASE WHEN ${live('kv.expires_at', '?4')} THEN kv.expires_at ELSE excluded.expires_at END
      RETURNING json`),
    sweep: db.prepare('DELETE FROM kv WHERE (ns, id) IN (SELECT ns, id FROM kv WHERE expires_at <= ?1 ORDER BY expires_at LIMIT ?2)'),
    count: db.prepare('SELECT count(*) AS n FROM kv'),
  };
  let closed = false;
  // Commits wait a turn under NORMAL too: a commit (WAL append) costs more than the statements in
  // it, and with requests in flight a turn gathers several (8 task lifecycles in flight: about
  // one commit each instead of 4); a lone call measured no slower (bench/control-plane.ts).
  const tx = createGroupCommit(db, (err) => new StoreUnavailableError(explainSqliteError(err, file)), 'turn');
  const isClosed = () => Promise.reject(new StoreUnavailableError(`${file}: the store is closed`));
  const write = <T>(fn: () => T): Promise<T> => (closed ? isClosed() : tx.write(fn));
  const read = <T>(fn: () => T): Promise<T> => (closed ? isClosed() : tx.read(fn));
  const exp = (ttlMs?: number) => (ttlMs === undefined ? null : now() + Math.max(1, Math.ceil(ttlMs)));
  const rows = (r: unknown[]) => r as Array<{ json: string }>;

  const batch = opts.sweepBatch ?? 2000;
  const sweepSome = () => {
    // Stay out of an open group transaction: it commits on the next turn, sweep after that.
    if (db.inTransaction) return true;
    const removed = q.sweep.run([now(), batch]).changes;
    // Hands the pages freed by the sweep back to the file system, a bounded number at a time.
    if (removed > 0) db.exec('PRAGMA incremental_vacuum(256)');
    return removed >= batch;
  };
  const interval = opts.sweepIntervalMs ?? 1000;
  // A full disk fails every sweep: report a cause once, and again only after a minute.
  let lastReport = { message: '', at: 0 };
  const reportSweepError = (err: unknown) => {
    const message = explainSqliteError(err, file);
    if (message === lastReport.message && now() - lastReport.at < 60_000) return;
    lastReport = { message, at: now() };
    opts.onSweepError?.(message);
  };
  const stopSweeper = interval > 0 ? startExpirySweeper(sweepSome, interval, reportSweepError) : () => undefined;

  return {
    get: <T>(ns: string, id: string) => read(() => {
      const row = q.get.get([ns, id, now()]) as { json: string } | undefined;
      return row ? (JSON.parse(row.json) as T) : undefined;
    }),
    put: (ns, id, value, ttlMs) => write(() => void q.put.run([ns, id, JSON.stringify(value), exp(ttlMs)])),
    create: (ns, id, value, ttlMs) => write(() => q.create.run([ns, id, JSON.stringify(value), exp(ttlMs), now()]).changes === 1),
    swap: (ns, id, expected, next, ttlMs) => write(() => {
      const key = [ns, id, JSON.stringify(expected), now()];
      const r = next === undefined ? q.swapDelete.run(key) : q.swap.run([...key, JSON.stringify(next), exp(ttlMs)]);
      return r.changes === 1;
    }),
    delete: (ns, id) => write(() => {
      const row = q.delete.get([ns, id, now()]) as { live: number } | undefined;
      return row !== undefined && Number(row.live) === 1;
    }),
    list: <T>(ns: string) => read(() => rows(q.list.all([ns, now()])).map((r) => JSON.parse(r.json) as T)),
    incr: (ns, id, ttlMs) => write(() => Number((q.incr.get([ns, id, exp(ttlMs), now()]) as { json: string }).json)),
    publish: pubsub.publish,
    subscribe: pubsub.subscribe,
    entryCount: () => read(() => Number((q.count.get() as { n: number }).n)),
    async healthy() {
      if (closed) return false;
      try {
        db.prepare('SELECT 1').get();
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      stopSweeper();
      tx.flush();
      pubsub.clear();
      closeQuietly(db);
    },
  };
}

function closeQuietly(db: Database.Database): void {
  try {
    // libsql's close leaves the WAL as it is: fold it into the main file so the next start
    // replays nothing and a copy of tabmesh.db alone is complete.
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    db.close();
  } catch {
    // Closing after a disk error can fail again; the file is still consistent (WAL).
  }
}
