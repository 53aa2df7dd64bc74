import { join } from 'node:path';
import type { Config } from '../config.ts';
import { createMemoryStore } from './memory-store.ts';
import type { Store } from './store.ts';

/** The embedded store's file in the data dir. */
export const databaseFile = (dataDir: string): string => join(dataDir, 'tabmesh.db');

/**
 * Opens the store the configuration names. The embedded database is loaded on demand, so a
 * memory- or Redis-backed server never loads the native module (nor needs Deno's --allow-ffi);
 * so is the Redis client, which otherwise sat in every server's heap (more for each GC to mark).
 * Throws StoreOpenError (one line: the file and what to do) when the database cannot be used.
 */
export async function openConfiguredStore(config: Config, onSweepError: (message: string) => void): Promise<Store> {
  if (config.store === 'redis') return (await import('./redis-store.ts')).createRedisStore(config.redisUrl!);
  if (config.store === 'memory') return createMemoryStore();
  const { createSqliteStore } = await import('./sqlite-store.ts');
  return createSqliteStore(databaseFile(config.dataDir), { sync: config.storeSync, onSweepError });
}
