import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemoryStore } from '../../server/store/memory-store.ts';
import { createRedisStore } from '../../server/store/redis-store.ts';
import { createSqliteStore } from '../../server/store/sqlite-store.ts';
import type { Store } from '../../server/store/store.ts';
import { startRedis, type RedisProcess } from '../helpers/redis-server.ts';

/** One backend under the contract: how to make a fresh store, and how to restart one over the same data. */
export interface Backend {
  name: string;
  make(): Store;
  /** Closes `store`, restarts what holds its data, and opens a new instance over it (undefined: nothing survives). */
  restart?: (store: Store) => Promise<Store>;
  /** For tests that watch the sweeper: a fresh store whose background sweep runs every `ms`. */
  makeSweeping(ms: number): Store;
}

export interface Backends {
  list: Backend[];
  /** The redis-server the Redis backend uses (it moves to a new process on `restart`). */
  redisUrl(): string;
  stop(): Promise<void>;
}

/** Starts what the backends need (a persistent redis-server, temp dirs) for one test file. */
export async function startBackends(): Promise<Backends> {
  const dir = mkdtempSync(join(tmpdir(), 'tabmesh-store-'));
  let redis: RedisProcess = await startRedis(undefined, { persistDir: dir });
  let n = 0;
  const files = new WeakMap<Store, string>();
  const sqlite = (file = join(dir, `s${++n}.db`), sweepIntervalMs = 0) => {
    const s = createSqliteStore(file, { sweepIntervalMs });
    files.set(s, file);
    return s;
  };
  const prefixes = new WeakMap<Store, string>();
  const redisStore = (prefix = `t${++n}`) => {
    const s = createRedisStore(redis.url, prefix);
    prefixes.set(s, prefix);
    return s;
  };
  return {
    list: [
      { name: 'memory', make: () => createMemoryStore(Date.now, { sweepIntervalMs: 0 }), makeSweeping: (ms) => createMemoryStore(Date.now, { sweepIntervalMs: ms }) },
      {
        name: 'embedded',
        make: () => sqlite(),
        makeSweeping: (ms) => sqlite(undefined, ms),
        restart: async (s) => (await s.close(), sqlite(files.get(s)!)),
      },
      {
        name: 'redis',
        make: () => redisStore(),
        makeSweeping: () => redisStore(),
        restart: async (s) => {
          await s.close();
          // SIGTERM: redis-server writes and fsyncs its append-only file (appendfsync always).
          await redis.stop();
          redis = await redis.restart();
          return redisStore(prefixes.get(s)!);
        },
      },
    ],
    redisUrl: () => redis.url,
    async stop() {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
