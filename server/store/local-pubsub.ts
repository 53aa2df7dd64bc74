import type { Store } from './store.ts';

/** In-process publish/subscribe for the single-instance backends (memory, embedded database). */
export function createLocalPubSub(): Pick<Store, 'publish' | 'subscribe'> & { clear(): void } {
  const subs = new Map<string, Set<(m: unknown) => void>>();
  return {
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
    clear: () => subs.clear(),
  };
}
