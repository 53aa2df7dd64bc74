import { createTokenService } from '../../../server/auth/tokens.ts';
import { createLogger } from '../../../server/ops/logger.ts';
import { createServerMetrics } from '../../../server/ops/server-metrics.ts';
import type { Role } from '../../../protocol/index.ts';
import { createSignalingRelay, type RelayOptions } from '../../../server/signaling/signaling-relay.ts';
import type { Connection, SocketLike } from '../../../server/signaling/socket.ts';
import { idFor } from '../../helpers/test-identity.ts';

export type Frame = Record<string, any>;

/** A socket the relay writes to; records frames and the close, like a runtime socket would. */
export interface FakePeer {
  socket: SocketLike;
  /** The relay's side: what a runtime entry calls (message, binary, alive, closed). */
  conn: Connection;
  frames: Frame[];
  closed: { code: number; reason: string } | undefined;
  pings: number;
  /** Feeds a client frame (objects are JSON-encoded, strings sent as they are). */
  send(frame: unknown): void;
  /** Resolves with the first unread frame of `type` (waiting for it if needed). */
  next(type: string): Promise<Frame>;
  /** Resolves once the relay has closed the socket. */
  whenClosed(): Promise<{ code: number; reason: string }>;
}

const SECRET = 'relay-harness-secret-0123456789-abcdef';

/** Fails a wait after `ms` of real time (under fake timers it simply never fires). */
function withTimeout<T>(p: Promise<T>, what: string, ms = 2000): Promise<T> {
  let timer: ReturnType<typeof setTimeout>;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
const encoder = new TextEncoder();

/** An in-process signaling relay on a movable clock with fake sockets; logs and metrics are kept for assertions. */
export function createRelayHarness(overrides: Partial<RelayOptions> = {}) {
  const clock = { now: 1_800_000_000_000 };
  const logs: string[] = [];
  const metrics = createServerMetrics();
  const tokens = createTokenService(SECRET, 300, () => clock.now);
  // Counts token checks in flight so `settle()` knows when the relay's async work is done.
  let inFlight = 0;
  const counted = {
    issue: tokens.issue,
    async verify(token: string) {
      inFlight += 1;
      try {
        return await tokens.verify(token);
      } finally {
        inFlight -= 1;
      }
    },
  };
  const relay = createSignalingRelay({
    tokens: counted, metrics, logger: createLogger('debug', (line) => logs.push(line)), now: () => clock.now,
    maxPeersPerMesh: 8, maxFrameBytes: 65_536, rateLimitPerSec: 1000, authTimeoutMs: 5000, idleTimeoutMs: 30_000,
    ...overrides,
  });

  const connect = (opts: { ping?: boolean; closeThrowsOverBytes?: number } = {}): FakePeer => {
    const waiters: Array<{ type: string; resolve: (f: Frame) => void }> = [];
    const closeWaiters: Array<(c: { code: number; reason: string }) => void> = [];
    const unread: Frame[] = [];
    const peer: FakePeer = {
      conn: undefined as unknown as Connection,
      frames: [], closed: undefined, pings: 0,
      socket: {
        send(data) {
          if (peer.closed) throw new Error('send after close');
          const f = JSON.parse(data) as Frame;
          peer.frames.push(f);
          const i = waiters.findIndex((w) => w.type === f.type);
          if (i >= 0) waiters.splice(i, 1)[0]!.resolve(f);
          else unread.push(f);
        },
        close(code, reason) {
          // Like ws and Deno: an over-long reason throws instead of closing.
          if (opts.closeThrowsOverBytes !== undefined && encoder.encode(reason).byteLength > opts.closeThrowsOverBytes) throw new SyntaxError('reason too long');
          if (peer.closed) return;
          peer.closed = { code, reason };
          for (const w of closeWaiters.splice(0)) w(peer.closed);
          // The runtime reports the close back, as the entries do.
          queueMicrotask(() => peer.conn.closed());
        },
        bufferedAmount: 0,
        ...(opts.ping ? { ping: () => void (peer.pings += 1) } : {}),
      },
      send(frame) {
        const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
        peer.conn.message(text, encoder.encode(text).byteLength);
      },
      next(type) {
        const i = unread.findIndex((f) => f.type === type);
        if (i >= 0) return Promise.resolve(unread.splice(i, 1)[0]!);
        return withTimeout(new Promise((resolve) => waiters.push({ type, resolve })), `a "${type}" frame`);
      },
      whenClosed() {
        return peer.closed ? Promise.resolve(peer.closed) : withTimeout(new Promise((resolve) => closeWaiters.push(resolve)), 'the close');
      },
    };
    peer.conn = relay.accept(peer.socket, { remoteAddress: '127.0.0.1' });
    return peer;
  };

  /** A JWT as the server issues it: for the key-derived id of `name` (see test/helpers/test-identity.ts). */
  const token = async (name: string, mesh = 'default', role: Role = 'agent') =>
    (await tokens.issue({ sub: idFor(name), role, mesh, cid: `cid-${name}` })).token;

  /** Connects, says hello and waits for welcome. */
  const joinAs = async (name: string, mesh = 'default', opts: { ping?: boolean; role?: Role } = {}) => {
    const peer = connect(opts);
    peer.send({ type: 'hello', token: await token(name, mesh, opts.role) });
    const welcome = await Promise.race([peer.next('welcome'), peer.whenClosed().then((c) => { throw new Error(`closed ${c.code} ${c.reason}`); })]);
    return Object.assign(peer, { welcome });
  };

  /** Resolves once no token check is pending and the follow-up microtasks have run. */
  const settle = async () => {
    do await new Promise((r) => setImmediate(r));
    while (inFlight > 0);
  };

  return { relay, clock, logs, metrics, tokens, token, connect, joinAs, settle };
}
