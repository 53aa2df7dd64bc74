/**
 * The state behind the control plane. Async and JSON-only (values are serialised, never shared
 * as objects) so every backend (embedded database, Redis, in-memory) behaves the same; one
 * contract test suite runs against all three. Namespaces (`ns`) group ids, e.g. `agents:default`.
 */
export interface Store {
  get<T>(ns: string, id: string): Promise<T | undefined>;
  /** Writes unconditionally; `ttlMs` makes the entry disappear after that long. */
  put<T>(ns: string, id: string, value: T, ttlMs?: number): Promise<void>;
  /** Writes only if absent; true when this call created it (single-use codes, idempotency). */
  create<T>(ns: string, id: string, value: T, ttlMs?: number): Promise<boolean>;
  /**
   * Replaces the value only if it still equals `expected` (as read by `get`); `next` undefined
   * deletes. True when swapped. This is the compare-and-set that makes claims idempotent.
   */
  swap<T>(ns: string, id: string, expected: T, next: T | undefined, ttlMs?: number): Promise<boolean>;
  delete(ns: string, id: string): Promise<boolean>;
  /** Every live value in `ns` (unordered). */
  list<T>(ns: string): Promise<T[]>;
  /** Increments a counter that expires `ttlMs` after its first increment; returns the new value. */
  incr(ns: string, id: string, ttlMs: number): Promise<number>;
  /** Fans a JSON message out to subscribers on every instance sharing this store. */
  publish(channel: string, message: unknown): Promise<void>;
  /** Subscribes; resolves with an unsubscribe function. */
  subscribe(channel: string, handler: (message: unknown) => void): Promise<() => Promise<void>>;
  /**
   * Entries the backend holds, expired ones not yet removed included; lets tests and benchmarks
   * check that expiry keeps the store bounded. Backends that cannot count cheaply leave it out.
   */
  entryCount?(): Promise<number>;
  /** False while the backend is unreachable (drives /ready). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

/** The backend could not be reached or answered garbage; maps to HTTP 503. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}
