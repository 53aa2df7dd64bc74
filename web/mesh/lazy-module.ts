/**
 * A module loaded on first use (see docs/development.md "Code loaded on first use"): `load()`
 * imports it once; a failed import (offline) is tried again by the next call. One helper for the
 * lazy wrappers, so each costs the page's first load only its own logic.
 */
export function lazyModule<M>(importIt: () => Promise<M>): () => Promise<M> {
  let loading: Promise<M> | undefined;
  return () =>
    (loading ??= importIt().catch((err: unknown) => {
      loading = undefined;
      throw err;
    }));
}

/**
 * An object made from a module loaded on first use: `use(run)` runs `run` on it at once when it is
 * there, else once it is, after the calls made before, in order. A failed load keeps the calls
 * queued and the next call tries again. `touched()`: whether anything was asked of it yet.
 */
export function lazyObject<M, T>(importIt: () => Promise<M>, create: (m: M) => T) {
  const load = lazyModule(importIt);
  const queue: Array<(t: T) => void> = [];
  let made: T | undefined;
  return {
    use(run: (t: T) => void): void {
      if (made) return run(made);
      queue.push(run);
      load().then((m) => {
        made ??= create(m);
        for (const f of queue.splice(0)) f(made);
      }, () => undefined);
    },
    touched: () => made !== undefined || queue.length > 0,
  };
}
