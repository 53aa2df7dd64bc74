/**
 * What the mesh core needs from its runtime, injected so one implementation runs in the browser
 * (globals) and on Node (node-datachannel's polyfill + the `ws` package). No DOM, no node:*.
 */
export interface MeshPlatform {
  RTCPeerConnection: new (config?: RTCConfiguration) => RTCPeerConnection;
  WebSocket: new (url: string, protocols?: string | string[]) => WebSocket;
  fetch: typeof fetch;
  /** Wall clock in ms (Date.now in production; injectable for tests of pure logic). */
  now: () => number;
  setTimeout?: (fn: () => void, ms: number) => unknown;
  clearTimeout?: (handle: unknown) => void;
  /** Extra fields merged into every RTCConfiguration (node-datachannel: `bindAddress`). */
  rtcConfig?: Record<string, unknown>;
  /**
   * Whether `restartIce()` works. Default: feature-detected at use (try it, fall back to a fresh
   * connection). node-datachannel's polyfill defines the method but throws, so Node says false.
   */
  iceRestart?: boolean;
  /**
   * The offerer holds its local ICE candidates until the answer is applied (default false).
   * node-datachannel needs it (its DTLS can start before the answer's fingerprint is known, see
   * candidate-gate.ts); browsers do not, and sending candidates right after the offer saves them
   * a signaling round trip per connection.
   */
  holdCandidatesUntilAnswer?: boolean;
}

/** Timers bound to the platform; handles are opaque. */
export interface Clock {
  now(): number;
  /** Monotonic sub-millisecond time for RTTs and durations (performance.now where it exists). */
  elapsed(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

/** The platform's clock, defaulting to the global timers. */
export function clockOf(platform: Pick<MeshPlatform, 'now' | 'setTimeout' | 'clearTimeout'>): Clock {
  const set = platform.setTimeout ?? ((fn: () => void, ms: number) => globalThis.setTimeout(fn, ms));
  const clear = platform.clearTimeout ?? ((h: unknown) => globalThis.clearTimeout(h as ReturnType<typeof setTimeout>));
  const elapsed = typeof globalThis.performance?.now === 'function' ? () => globalThis.performance.now() : platform.now;
  return { now: platform.now, elapsed, set, clear: (h) => { if (h !== undefined) clear(h); } };
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';

/** A random URL-safe id of `length` chars (default 16, ~96 bits); getRandomValues works in insecure contexts too. */
export function randomId(length = 16): string {
  const bytes = globalThis.crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const b of bytes) out += ALPHABET[b & 63];
  return out;
}
