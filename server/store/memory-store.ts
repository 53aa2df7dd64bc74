import type { Store } from './store.ts';

interface Entry {
  json: string;
  expiresAt: number;
}

/** In-process store (the default). `now` in ms is injectable so tests can move the clock. */
export function createMemoryStore(now: () => number = Date.now): Store {
  const data = new Map<string, Map<string, Entry>>();
  const subs = new Map<string, Set<(m: unknown) => void>>();

  const live = (ns: string, id: string): Entry | undefined => {
    const e = data.get(ns)?.get(id);
    if (!e) return undefined;
    if (e.expiresAt <= now()) {
      data.get(ns)!.delete(id);
      return undefined;
    }
    return e;
  };
  const write = (ns: string, id: string, value: unknown, ttlMs?: number) => {
    let m = data.get(ns);
    if (!m) data.set(ns, (m = new Map()));
    m.set(id, { json: JSON.stringify(value), expiresAt: ttlMs === undefined ? Infinity : now() + ttlMs });
  };
  const parse = <T>(e: Entry | undefined) => (e ? (JSON.parse(e.json) as T) : undefined);

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
      if (next === undefined) data.get(ns)!.delete(id);
      else write(ns, id, next, ttlMs);
      return true;
    },
    async delete(ns, id) {
      const had = live(ns, id) !== undefined;
      data.get(ns)?.delete(id);
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
      let m = data.get(ns);
      if (!m) data.set(ns, (m = new Map()));
      m.set(id, { json: JSON.stringify(value), expiresAt: e?.expiresAt ?? now() + ttlMs });
      return value;
    },
    async publish(channel, message) {
      const json = JSON.stringify(message);
      // Deliver asynchronously and as a copy, as a networked pub/sub would.
      for (const h of [...(subs.get(channel) ?? [])]) queueMicrotask(() => h(JSON.parse(json)));
    },
    async subscribe(channel, handler) {
      let set = subs.get(channel);
      if (!set) subs.set(channel, (set = new Set()));
      set.add(handler);
      return async () => void subs.get(channel)?.delete(handler);
    },
    healthy: async () => true,
    close: async () => {
      data.clear();
      subs.clear();
    },
  };
}
