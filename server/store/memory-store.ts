import { ExpiryHeap } from './expiry-heap.ts';
import { startExpirySweeper } from './expiry-sweeper.ts';
import { createLocalPubSub } from './local-pubsub.ts';
import type { Store } from './store.ts';

interface Entry {
  json: string;
  expiresAt: number;
}

export interface MemoryStoreOptions {
  /** How often expired entries nobody reads are removed; 0 disables (tests of pure logic). */
  sweepIntervalMs?: number;
  /** Most entries removed per sweep step, so one step never blocks requests for long. */
  sweepBatch?: number;
}

/**
 * In-process store (unit tests, `TABMESH_STORE=memory`): nothing survives a restart. `now` in ms
 * is injectable so tests can move the clock.
 */
export function createMemoryStore(now: () => number = Date.now, opts: MemoryStoreOptions = {}): Store {
  const data = new Map<string, Map<string, Entry>>();
  const expiries = new ExpiryHeap();
  const pubsub = createLocalPubSub();
  const batch = opts.sweepBatch ?? 5000;

  const live = (ns: string, id: string): Entry | undefined => {
    const e = data.get(ns)?.get(id);
    if (!e) return undefined;
    if (e.expiresAt <= now()) {
      remove(ns, id);
      return undefined;
    }
    return e;
  };
  const remove = (ns: string, id: string) => {
    const m = data.get(ns);
    if (!m?.delete(id)) return;
    // An empty namespace map would otherwise stay forever (one per mesh, per client address…).
    if (m.size === 0) data.delete(ns);
  };
  const set = (ns: string, id: string, json: string, expiresAt: number) => {
    let m = data.get(ns);
    if (!m) data.set(ns, (m = new Map()));
    m.set(id, { json, expiresAt });
    if (expiresAt !== Infinity) expiries.push({ at: expiresAt, ns, id });
  };
  const write = (ns: string, id: string, value: unknown, ttlMs?: number) =>
    set(ns, id, JSON.stringify(value), ttlMs === undefined ? Infinity : now() + ttlMs);
  const parse = <T>(e: Entry | undefined) => (e ? (JSON.parse(e.json) as T) : undefined);

  const sweepSome = () => {
    const t = now();
    for (let i = 0; i < batch; i++) {
      const mark = expiries.popDue(t);
      if (!mark) return false;
      // A mark is stale when the entry was rewritten (new expiry) or deleted since.
      if (data.get(mark.ns)?.get(mark.id)?.expiresAt === mark.at) remove(mark.ns, mark.id);
    }
    return true;
  };
  const interval = opts.sweepIntervalMs ?? 1000;
  const stopSweeper = interval > 0 ? startExpirySweeper(sweepSome, interval, () => undefined) : () => undefined;

  return {
    async get<T>(ns: string, id: string) {
      return parse<T>(live(ns, id));
    },
    async put(ns, id, value, ttlMs) {
      write(ns, id, value, ttlMs);
    },
    async create(ns, id, value, ttlMs) {
      if (live(ns, id)) return false;
      write(ns, id, value, ttlMs);
      return true;
    },
    async swap(ns, id, expected, next, ttlMs) {
      const e = live(ns, id);
      if (!e || e.json !== JSON.stringify(expected)) return false;
      if (next === undefined) remove(ns, id);
      else write(ns, id, next, ttlMs);
      return true;
    },
    async delete(ns, id) {
      const had = live(ns, id) !== undefined;
      remove(ns, id);
      return had;
    },
    async list<T>(ns: string) {
      const out: T[] = [];
      for (const id of [...(data.get(ns)?.keys() ?? [])]) {
        const e = live(ns, id);
        if (e) out.push(JSON.parse(e.json) as T);
      }
      return out;
    },
    async incr(ns, id, ttlMs) {
      const e = live(ns, id);
      const value = (e ? (JSON.parse(e.json) as number) : 0) + 1;
      if (e) e.json = JSON.stringify(value);
      else set(ns, id, JSON.stringify(value), now() + ttlMs);
      return value;
    },
    publish: pubsub.publish,
    subscribe: pubsub.subscribe,
    healthy: async () => true,
    entryCount: async () => [...data.values()].reduce((n, m) => n + m.size, 0),
    close: async () => {
      stopSweeper();
      data.clear();
      expiries.clear();
      pubsub.clear();
    },
  };
}
