/**
 * Imports a module from dist/ (built by the global setup): worker_threads run compiled JS, so
 * tests of worker-backed code load the same files `tabmesh node` runs.
 */
export function importDist<T>(path: string): Promise<T> {
  return import(new URL(`../../../dist/${path}`, import.meta.url).href) as Promise<T>;
}

/** Absolute path of a fixture under test/node-peer/fixtures. */
export const fixture = (name: string): string => new URL(`../fixtures/${name}`, import.meta.url).pathname;
