import { startRedis, type RedisOptions, type RedisProcess } from '../helpers/redis-server.ts';
import { getToken, type ServerProcess } from '../helpers/server-process.ts';
import { AGENT_KEY, startMeshServer } from '../mesh/harness.ts';

export const ADMIN_KEY = 'cluster-admin-key-0123456789abcdef';

export interface TestCluster {
  redis: RedisProcess;
  servers: ServerProcess[];
  /** Starts one more instance on the same Redis (same keys and JWT secret). */
  add(): Promise<ServerProcess>;
  stop(): Promise<void>;
}

/**
 * A real redis-server and `n` real server processes sharing it (the mesh harness's agent key and
 * JWT secret, so any instance's token works on every other). `env` goes to every instance.
 */
export async function startCluster(n: number, env: Record<string, string> = {}, redisOptions?: RedisOptions): Promise<TestCluster> {
  const redis = await startRedis(undefined, redisOptions);
  const self: TestCluster = {
    redis,
    servers: [],
    async add() {
      const s = await startMeshServer({
        TABMESH_REDIS_URL: self.redis.url, TABMESH_API_KEYS: `agent:${AGENT_KEY},admin:${ADMIN_KEY}`, LOG_LEVEL: 'error', ...env,
      });
      self.servers.push(s);
      return s;
    },
    async stop() {
      await Promise.all(self.servers.map((s) => s.stop('SIGKILL')));
      await self.redis.stop();
    },
  };
  await Promise.all(Array.from({ length: n }, () => self.add()));
  return self;
}

/** GET `path` on one instance with a token for `as`; returns the parsed JSON body. */
export async function getJson<T = any>(server: { url: string }, path: string, as = 'observer'): Promise<T> {
  const res = await fetch(server.url + path, { headers: { authorization: `Bearer ${await getToken(server.url, AGENT_KEY, as)}` } });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** Authenticated peers on this instance's own sockets (the `tabmesh_peers` gauge). */
export async function localPeerCount(server: { url: string }): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { 'x-api-key': ADMIN_KEY } })).text();
  return Number(/^tabmesh_peers(?:\{\})? (\d+)/m.exec(text)?.[1] ?? NaN);
}
