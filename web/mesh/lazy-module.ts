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
