import { accessSync, constants, existsSync, statfsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readDatabaseHeader, SCHEMA_VERSION } from '../../server/store/sqlite-header.ts';
import { fail, ok, warn, type CheckResult } from './check-result.ts';

const MiB = 1024 * 1024;
const size = (bytes: number) => (bytes >= 1024 * MiB ? `${(bytes / 1024 / MiB).toFixed(1)} GiB` : `${(bytes / MiB).toFixed(1)} MiB`);
const octal = (mode: number) => (mode & 0o777).toString(8).padStart(3, '0');

/** The store the server's environment selects (the same rule as server/config.ts). */
function storeKind(env: Record<string, string | undefined>): 'embedded' | 'memory' | 'redis' {
  const named = env.TABMESH_STORE?.trim();
  if (named === 'memory' || named === 'redis' || named === 'embedded') return named;
  return env.TABMESH_REDIS_URL?.trim() ? 'redis' : 'embedded';
}

function checkDatabase(file: string): CheckResult {
  if (!existsSync(file)) return warn(`store: no database yet at ${file}`, 'the server creates it on its first start; if it ran here before with this data dir, its state is gone');
  const header = readDatabaseHeader(file);
  if (header.problem) return fail(`store: ${file} is not usable (${header.problem})`, 'restore it from a backup, or move it away so the server starts with an empty store');
  if ((header.userVersion ?? 0) > SCHEMA_VERSION) {
    return fail(`store: ${file} has schema ${header.userVersion}; this release knows up to ${SCHEMA_VERSION}`, 'run the newer tabmesh release that wrote it');
  }
  return ok(`store: embedded database ${file} (schema ${header.userVersion}, ${size(header.size)})`);
}

/** Files that must be private to the server's user: 0600, and the directory 0700. */
function checkModes(dir: string): CheckResult {
  const loose: string[] = [];
  const dirMode = statSync(dir).mode;
  if (dirMode & 0o077) loose.push(`${dir} is ${octal(dirMode)} (want 700)`);
  for (const name of ['tabmesh.db', 'tabmesh.db-wal', 'tabmesh.db-shm', 'admin.key', 'jwt-secret']) {
    const path = join(dir, name);
    if (!existsSync(path)) continue;
    const mode = statSync(path).mode;
    if (mode & 0o077) loose.push(`${name} is ${octal(mode)} (want 600)`);
  }
  if (loose.length) return warn(`data dir permissions: ${loose.join('; ')}`, `other users can read secrets or the database: chmod 700 ${dir} && chmod 600 ${dir}/*`);
  return ok('data dir permissions: directory 700, secrets and database 600');
}

/**
 * `tabmesh doctor --data-dir DIR` on the server's machine: which store the environment selects,
 * and whether the data dir is usable (exists, writable, free space, private modes, a database
 * file SQLite can open). Reads only file metadata and the database header: safe while the server runs.
 */
export function checkDataDir(dir: string, env: Record<string, string | undefined>): CheckResult[] {
  const kind = storeKind(env);
  const results: CheckResult[] = [];
  if (kind === 'memory') results.push(warn('store: memory (TABMESH_STORE=memory)', 'nothing survives a restart: unset TABMESH_STORE to keep state in the data dir'));
  if (kind === 'redis') results.push(ok('store: Redis (TABMESH_REDIS_URL); its durability is Redis\'s persistence (AOF) setting'));
  if (!existsSync(dir)) return [...results, fail(`data dir ${dir} does not exist`, 'the server creates it on first start; check TABMESH_DATA_DIR if it should be there')];
  if (!statSync(dir).isDirectory()) return [...results, fail(`data dir ${dir} is not a directory`, 'point TABMESH_DATA_DIR at a directory')];
  try {
    accessSync(dir, constants.W_OK);
    results.push(ok(`data dir ${dir} is writable`));
  } catch {
    results.push(fail(`data dir ${dir} is not writable by this user`, `the server cannot start: chown the directory to the server's user and chmod 700 ${dir}`));
  }
  const fs = statfsSync(dir);
  const free = fs.bavail * fs.bsize;
  if (free < 10 * MiB) results.push(fail(`data dir: only ${size(free)} free`, 'writes will fail with 503 store-unavailable: free disk space'));
  else if (free < 200 * MiB) results.push(warn(`data dir: ${size(free)} free`, 'free disk space before the store fills it'));
  else results.push(ok(`data dir: ${size(free)} free`));
  results.push(checkModes(dir));
  if (kind === 'embedded') results.push(checkDatabase(join(dir, 'tabmesh.db')));
  return results;
}
