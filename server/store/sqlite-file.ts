import Database from 'libsql';
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readDatabaseHeader, SCHEMA_VERSION } from './sqlite-header.ts';

const SCHEMA = `
CREATE TABLE kv (
  ns TEXT NOT NULL,
  id TEXT NOT NULL,
  json TEXT NOT NULL,
  expires_at INTEGER,
  PRIMARY KEY (ns, id)
) WITHOUT ROWID;
CREATE INDEX kv_expiry ON kv (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
PRAGMA user_version = ${SCHEMA_VERSION};
`;

/** The database cannot be used as it is; the message is one line naming the file and the fix. */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}

export type SyncMode = 'normal' | 'full';

/** What an SQLite error means for the operator, keyed by its primary result code. */
export function explainSqliteError(err: unknown, file: string): string {
  const code = String((err as { code?: unknown }).code ?? '');
  const msg = oneLine((err as Error).message);
  if (code.startsWith('SQLITE_FULL')) return `${file}: the disk (or the database's size limit) is full: free space in ${dirOf(file)}, then retry`;
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_PERM') || code.startsWith('SQLITE_CANTOPEN')) {
    return `${file}: cannot write (${msg}): make ${dirOf(file)} and the file writable by this user (chmod 700 on the directory, 600 on the file)`;
  }
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) {
    return `${file} is damaged (${msg}): stop tabmesh and restore the file from a backup, or move it away to start with an empty store`;
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return `${file} is in use by another process (${msg}): stop the other tabmesh server using this data dir, or give this one its own TABMESH_DATA_DIR`;
  return `${file}: ${msg}`;
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ').trim();

function dirOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i > 0 ? file.slice(0, i) : '.';
}

/** Refuses a file SQLite would misread (empty: a new database; truncated: fails only later). */
function checkHeader(file: string): void {
  const { problem } = readDatabaseHeader(file);
  if (problem) {
    throw new StoreOpenError(`${file} is not a usable tabmesh database (${problem}): stop tabmesh and restore the file from a backup, or move it away to start with an empty store`);
  }
}

/** A brand-new database is built under a temporary name and renamed, so a crash mid-creation never leaves a half-made file. */
function createFresh(file: string): void {
  const tmp = `${file}.new`;
  for (const f of [tmp, `${tmp}-wal`, `${tmp}-shm`, `${tmp}-journal`]) rmSync(f, { force: true });
  // Created 0600 first: SQLite gives its -wal and -shm files the database file's mode.
  writeFileSync(tmp, '', { mode: 0o600 });
  const db = new Database(tmp);
  try {
    // Freed pages go back to the file system on sweeps instead of keeping the file at its peak size.
    db.exec('PRAGMA auto_vacuum = INCREMENTAL');
    db.exec(`BEGIN; ${SCHEMA} COMMIT;`);
  } finally {
    db.close();
  }
  renameSync(tmp, file);
}

/**
 * Opens (creating on first start) the database file: WAL, the chosen synchronous level, the
 * schema version checked, and a write probe, so a read-only or full disk refuses the start
 * rather than the first pairing. Throws StoreOpenError with a one-line explanation.
 */
export function openDatabaseFile(file: string, sync: SyncMode): Database.Database {
  const existed = existsSync(file);
  // A write-ahead log without its database means the database was moved or deleted: starting
  // empty would hide that (and SQLite could replay the old log into a new file).
  if (!existed && existsSync(`${file}-wal`)) {
    throw new StoreOpenError(`${file} is missing but ${file}-wal is there: the database was moved or deleted; put it back (or restore a backup), or move ${file}-wal away to start with an empty store`);
  }
  try {
    if (existed) checkHeader(file);
    else createFresh(file);
  } catch (err) {
    if (err instanceof StoreOpenError) throw err;
    throw new StoreOpenError(explainSqliteError(err, file));
  }
  let db: Database.Database | undefined;
  try {
    // No exclusive locking mode (which would refuse a second server on the same file): libsql's
    // close() does not release the connection, so the lock would outlive it in this process.
    db = new Database(file, { fileMustExist: true, timeout: 5000 });
    const version = Number((db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version);
    if (version > SCHEMA_VERSION) {
      throw new StoreOpenError(`${file} was written by a newer tabmesh (schema ${version}; this release knows up to ${SCHEMA_VERSION}): run the newer release, or restore a backup made for this one`);
    }
    if (version < 1) throw new StoreOpenError(`${file} has no tabmesh schema (user_version ${version}): move it away or point TABMESH_DATA_DIR elsewhere`);
    const mode = (db.prepare('PRAGMA journal_mode = WAL').get() as { journal_mode: string }).journal_mode;
    if (mode !== 'wal') throw new StoreOpenError(`${file}: cannot enable write-ahead logging (journal mode stays ${mode}): the file system must support shared memory files`);
    db.exec(`PRAGMA synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
    // Keeps the -wal file from staying at its peak size after a burst of writes.
    db.exec('PRAGMA journal_size_limit = 8388608');
    // Reads every page's structure once: a damaged file stops the start here, not a request later.
    const check = (db.prepare('PRAGMA quick_check(1)').get() as { quick_check: string }).quick_check;
    if (check !== 'ok') throw new StoreOpenError(`${file} is damaged (${oneLine(check)}): stop tabmesh and restore the file from a backup, or move it away to start with an empty store`);
    db.prepare("INSERT INTO meta (key, value) VALUES ('opened-at', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(new Date().toISOString());
    return db;
  } catch (err) {
    try {
      db?.close();
    } catch {
      // Already failing; the first error is the one to report.
    }
    if (err instanceof StoreOpenError) throw err;
    throw new StoreOpenError(explainSqliteError(err, file));
  }
}
