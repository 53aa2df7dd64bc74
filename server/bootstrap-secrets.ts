import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseApiKeys, type ApiKeyEntry, type Config } from './config.ts';

export interface Secrets {
  apiKeys: ApiKeyEntry[];
  jwtSecret: string;
  /** Set only on the very first zero-config start: the admin key to print once. */
  createdAdminKey?: string;
  adminKeyFile?: string;
}

async function readOrCreate(file: string, make: () => string): Promise<{ value: string; created: boolean }> {
  try {
    return { value: (await readFile(file, 'utf8')).trim(), created: false };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
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
 * Fills in what the operator left unset, persisted in the data dir (mode 0600) so restarts keep
 * tokens and keys valid: the JWT secret, and with no TABMESH_API_KEYS an admin key.
 */
export async function bootstrapSecrets(config: Config): Promise<Secrets> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const jwtSecret = config.jwtSecret ??
    (await readOrCreate(join(config.dataDir, 'jwt-secret'), () => randomBytes(32).toString('base64url'))).value;
  if (config.apiKeys.length) return { apiKeys: config.apiKeys, jwtSecret };
  const adminKeyFile = join(config.dataDir, 'admin.key');
  // A fixed prefix so the key never starts with '-', which CLIs would read as an option.
  const admin = await readOrCreate(adminKeyFile, () => `admin:tma_${randomBytes(24).toString('base64url')}`);
  const apiKeys = parseApiKeys(admin.value, adminKeyFile);
  return { apiKeys, jwtSecret, adminKeyFile, ...(admin.created ? { createdAdminKey: apiKeys[0]!.key } : {}) };
}
