import { Redis } from 'ioredis';
import { StoreUnavailableError, type Store } from './store.ts';

// Ids are indexed per namespace for `list`: permanent entries in a set, entries with a TTL in a
// sorted set scored by their expiry (Redis's own clock), pruned on every TTL write, so ids of
// entries nobody lists again (nonces, attempt counters) do not pile up after their keys expired.
// KEYS: 1 the value, 2 the set, 3 the sorted set.
const INDEX = `
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function index(id, ttl)
  if ttl ~= '' then
    local now = nowMs()
    redis.call('SREM', KEYS[2], id)
    redis.call('ZADD', KEYS[3], now + tonumber(ttl), id)
    redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
  else
    redis.call('ZREM', KEYS[3], id)
    redis.call('SADD', KEYS[2], id)
  end
end
local function unindex(id)
  redis.call('SREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
`;
// ARGV: json, id, ttl ms or ''.
const PUT = `${INDEX}
if ARGV[3] ~= '' then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3]) else redis.call('SET', KEYS[1], ARGV[1]) end
index(ARGV[2], ARGV[3])
return 1`;
// Set-if-absent and index in one step: a create that fails must not have written anything.
const CREATE = `${INDEX}
local ok
if ARGV[3] ~= '' then ok = redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[3]) else ok = redis.call('SET', KEYS[1], ARGV[1], 'NX') end
if not ok then return 0 end
index(ARGV[2], ARGV[3])
return 1`;
// Compare-and-set in one round trip, so two instances can never both win a claim.
// ARGV: expected json, next json or '' (delete), ttl ms or '', id.
const SWAP = `${INDEX}
local cur = redis.call('GET', KEYS[1])
if cur ~= ARGV[1] then return 0 end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1]); unindex(ARGV[4])
elseif ARGV[3] ~= '' then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3]); index(ARGV[4], ARGV[3])
else
  redis.call('SET', KEYS[1], ARGV[2]); index(ARGV[4], '')
end
return 1`;
const INCR = `
local v = redis.call('INCR', KEYS[1])
if v == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return v`;

const READY_GRACE_MS = 1000;

/**
 * Redis backend (`TABMESH_REDIS_URL`): values are JSON strings under `tabmesh:<ns>:<id>`, a set
 * per namespace indexes ids for `list`, pub/sub uses a second connection. Commands fail fast
 * while Redis is down (StoreUnavailableError → HTTP 503, /ready 503) and recover on reconnect.
 */
export function createRedisStore(url: string, prefix = 'tabmesh'): Store {
  const opts = { maxRetriesPerRequest: 1, enableOfflineQueue: false, retryStrategy: (n: number) => Math.min(50 * 2 ** n, 2000), lazyConnect: false };
  // Commands issued in one tick (relay bursts, presence refreshes) go out in one write.
  const redis = new Redis(url, { ...opts, enableAutoPipelining: true });
  const sub = new Redis(url, { ...opts, enableOfflineQueue: true, maxRetriesPerRequest: null });
  // ioredis emits 'error' on every failed reconnect; without listeners that would crash the process.
  redis.on('error', () => undefined);
  sub.on('error', () => undefined);
  const handlers = new Map<string, Set<(m: unknown) => void>>();
  sub.on('message', (channel: string, message: string) => {
    const name = channel.slice(prefix.length + 4);
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      return;
    }
    for (const h of handlers.get(name) ?? []) h(parsed);
  });

  const key = (ns: string, id: string) => `${prefix}:${ns}:${id}`;
  const idx = (ns: string) => `${prefix}:ns:${ns}`;
  const zidx = (ns: string) => `${prefix}:nsx:${ns}`;
  const ttlArg = (ttlMs?: number) => (ttlMs === undefined ? '' : String(Math.max(1, Math.ceil(ttlMs))));
  // While (re)connecting, give a command a short grace for the link to come up, then fail fast.
  const connected = () =>
    redis.status === 'ready' ? Promise.resolve(true) : new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => (redis.off('ready', onReady), resolve(false)), READY_GRACE_MS);
      const onReady = () => (clearTimeout(timer), resolve(true));
      redis.once('ready', onReady);
    });
  const run = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (!(await connected())) throw new StoreUnavailableError('redis: not connected');
    try {
      return await fn();
    } catch (err) {
      throw new StoreUnavailableError(`redis: ${(err as Error).message}`);
    }
  };

  return {
    get: <T>(ns: string, id: string) => run(async () => {
      const v = await redis.get(key(ns, id));
      return v === null ? undefined : (JSON.parse(v) as T);
    }),
    put: (ns, id, value, ttlMs) => run(async () => {
      await redis.eval(PUT, 3, key(ns, id), idx(ns), zidx(ns), JSON.stringify(value), id, ttlArg(ttlMs));
    }),
    create: (ns, id, value, ttlMs) => run(async () =>
      (await redis.eval(CREATE, 3, key(ns, id), idx(ns), zidx(ns), JSON.stringify(value), id, ttlArg(ttlMs))) === 1),
    swap: (ns, id, expected, next, ttlMs) => run(async () => {
      const r = await redis.eval(SWAP, 3, key(ns, id), idx(ns), zidx(ns), JSON.stringify(expected), next === undefined ? '' : JSON.stringify(next), ttlArg(ttlMs), id);
      return r === 1;
    }),
    delete: (ns, id) => run(async () => {
      const [[, n]] = (await redis.multi().del(key(ns, id)).srem(idx(ns), id).zrem(zidx(ns), id).exec()) as [[unknown, number]];
      return n === 1;
    }),
    list: <T>(ns: string) => run(async () => {
      const [permanent, expiring] = await Promise.all([redis.smembers(idx(ns)), redis.zrange(zidx(ns), '0', '-1')]);
      const ids = [...new Set([...permanent, ...expiring])];
      if (ids.length === 0) return [];
      const values = await redis.mget(ids.map((id) => key(ns, id)));
      const gone = ids.filter((_, i) => values[i] === null);
      // Expired entries can leave their id in an index until the next TTL write; prune here too.
      if (gone.length) await redis.multi().srem(idx(ns), ...gone).zrem(zidx(ns), ...gone).exec();
      return values.filter((v): v is string => v !== null).map((v) => JSON.parse(v) as T);
    }),
    incr: (ns, id, ttlMs) => run(async () => Number(await redis.eval(INCR, 1, key(ns, id), String(Math.max(1, Math.ceil(ttlMs)))))),
    publish: (channel, message) => run(async () => {
      await redis.publish(`${prefix}:ps:${channel}`, JSON.stringify(message));
    }),
    async subscribe(channel, handler) {
      let set = handlers.get(channel);
      if (!set) {
        handlers.set(channel, (set = new Set()));
        await run(() => sub.subscribe(`${prefix}:ps:${channel}`));
      }
      set.add(handler);
      return async () => {
        set.delete(handler);
        if (set.size === 0 && handlers.get(channel) === set) {
          handlers.delete(channel);
          await sub.unsubscribe(`${prefix}:ps:${channel}`).catch(() => undefined);
        }
      };
    },
    async healthy() {
      if (redis.status !== 'ready') return false;
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      redis.disconnect();
      sub.disconnect();
    },
  };
}
