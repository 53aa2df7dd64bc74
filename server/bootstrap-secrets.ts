import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseApiKeys, type ApiKeyEntry, type Config } from './config.ts';
import type { Store } from './store/store.ts';

export interface Secrets {
  apiKeys: ApiKeyEntry[];
  jwtSecret: string;
  /** Set only on the very first zero-config start: the admin key to print once. */
  createdAdminKey?: string;
  adminKeyFile?: string;
}

interface Stored {
  value: string;
  created: boolean;
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    return undefined;
  }
}

async function readOrCreateFile(file: string, make: () => string): Promise<Stored> {
  const existing = await readIfPresent(file);
  if (existing !== undefined) return { value: existing, created: false };
  const value = make();
  // `wx` so two instances starting together cannot both create (and print) a key.
  try {
    await writeFile(file, value + '\n', { mode: 0o600, flag: 'wx' });
    await chmod(file, 0o600);
    return { value, created: true };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { value: (await readFile(file, 'utf8')).trim(), created: false };
    throw err;
  }
}

/**
 * The secret lives in the database; a data dir from a release that kept it in `file` is
 * migrated on first start (the file's value, so tokens and keys issued before stay valid).
 */
async function readOrCreateInStore(store: Store, id: string, file: string, make: () => string): Promise<Stored> {
  const existing = await store.get<string>('secrets', id);
  if (existing !== undefined) return { value: existing, created: false };
  const legacy = await readIfPresent(file);
  const value = legacy ?? make();
  if (await store.create('secrets', id, value)) return { value, created: legacy === undefined };
  return { value: (await store.get<string>('secrets', id))!, created: false };
}

/** Keeps admin.key as a readable copy of the stored key (docs point people to it); the database stays authoritative. */
async function writeCopy(file: string, value: string): Promise<void> {
  if ((await readIfPresent(file)) === value) return;
  await writeFile(file, value + '\n', { mode: 0o600 });
  await chmod(file, 0o600);
}

/**
 * Fills in what the operator left unset, persisted so restarts keep tokens and keys valid: the
 * JWT secret, and with no TABMESH_API_KEYS an admin key. With the embedded store (`store`) they
 * live in its database; otherwise in files in the data dir (mode 0600).
 */
export async function bootstrapSecrets(config: Config, store?: Store): Promise<Secrets> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const get = (id: string, file: string, make: () => string) =>
    store ? readOrCreateInStore(store, id, file, make) : readOrCreateFile(file, make);
  const jwtSecret = config.jwtSecret ??
    (await get('jwt-secret', join(config.dataDir, 'jwt-secret'), () => randomBytes(32).toString('base64url'))).value;
  if (config.apiKeys.length) return { apiKeys: config.apiKeys, jwtSecret };
  const adminKeyFile = join(config.dataDir, 'admin.key');
  // A fixed prefix so the key never starts with '-', which CLIs would read as an option.
  const admin = await get('admin-key', adminKeyFile, () => `admin:tma_${randomBytes(24).toString('base64url')}`);
  if (store) await writeCopy(adminKeyFile, admin.value);
  const apiKeys = parseApiKeys(admin.value, adminKeyFile);
  return { apiKeys, jwtSecret, adminKeyFile, ...(admin.created ? { createdAdminKey: apiKeys[0]!.key } : {}) };
}
