import {
  CloseCode, parseJson, ServerFrameSchema, validate,
  type ClientFrame, type PeerSummary, type ServerFrame, type WelcomeFrame,
} from '../../../protocol/index.ts';
import { createBackoff } from '../../../protocol/backoff.ts';
import { createEmitter, type Emitter } from '../emitter.ts';
import { MeshError, toMeshError } from '../errors.ts';
import { createFramePacer, type FramePacer } from './frame-pacer.ts';
import { clockOf, type MeshPlatform } from '../platform.ts';

/** Negotiation frames as delivered by the server (with `from` stamped). */
export type SignalFrame = Extract<ServerFrame, { type: 'offer' | 'answer' | 'candidate' | 'bye' }>;
export type TaskPushFrame = Extract<ServerFrame, { type: 'task-assigned' | 'task-updated' }>;
export type SignalingState = 'idle' | 'connecting' | 'open' | 'stopped';

export interface SignalingEvents {
  /** A session began; `resumed` is true for every session after the first. */
  welcome: { frame: WelcomeFrame; resumed: boolean };
  'peer-joined': PeerSummary;
  'peer-left': { peerId: string };
  signal: SignalFrame;
  /** A tier-3 message relayed by the server; `from` is server-verified. */
  relay: { from: string; payload: unknown };
  /** An `error` frame (e.g. unknown-peer with `ref` = peer id), or a frame we could not parse. */
  'server-error': { code: string; message: string; ref?: string };
  task: TaskPushFrame;
  /** The socket closed; a reconnect is scheduled in `retryInMs`. Open DataChannels are unaffected. */
  disconnected: { code: number; reason: string; retryInMs: number };
  /** Stopped for good (credential revoked or rejected). */
  fatal: MeshError;
  'token-refreshed': { expiresAt: number };
}

export interface SignalingOptions {
  /** The signaling endpoint, ws(s)://host/ws. */
  url: string;
  platform: MeshPlatform;
  /** Fresh JWT for every (re)connect and refresh; reject with `retryable: false` to give up. */
  getToken: () => Promise<string>;
  /** Reconnect backoff (full jitter): base 250 ms, cap 15 s. */
  backoff?: { baseMs?: number; maxMs?: number; random?: () => number };
  /** Give up on a socket that has no welcome after this long (default 10 s). */
  welcomeTimeoutMs?: number;
  /** Refresh the token this long before it expires (default 20 % of what is left, at least 5 s). */
  refreshLeadMs?: number;
  /** `heartbeat` frame interval (default 30 s); `load` is reported with it. */
  heartbeatMs?: number;
  load?: () => number;
}

export interface SignalingClient extends Pick<Emitter<SignalingEvents>, 'on'> {
  readonly state: SignalingState;
  /** The current session's welcome (undefined before the first). */
  readonly session: WelcomeFrame | undefined;
  /** Connects and keeps reconnecting until `stop`. */
  start(): void;
  stop(): void;
  /** Queues a control frame (paced under the server's rate limit); false when not connected. */
  send(frame: ClientFrame): boolean;
  /** Relays a mesh message through the server; waits for queue space, rejects if the socket drops. */
  relay(to: string, payload: unknown): Promise<void>;
}

// WebSocket.OPEN; read from the constant because injected socket classes may not expose statics.
const OPEN = 1;
const encoder = new TextEncoder();
/** UTF-8 size check that skips encoding when even 3 bytes per code unit would fit. */
const fitsIn = (text: string, max: number) => text.length * 3 <= max || encoder.encode(text).length <= max;

/** Creates the signaling client: hello/welcome, presence, pacing, token refresh, reconnect. */
export function createSignalingClient(opts: SignalingOptions): SignalingClient {
  const clock = clockOf(opts.platform);
  const events = createEmitter<SignalingEvents>();
  const backoff = createBackoff(opts.backoff);
  let state: SignalingState = 'idle';
  let ws: WebSocket | undefined;
  let pacer: FramePacer | undefined;
  let session: WelcomeFrame | undefined;
  let sessions = 0;
  let serverOffset = 0;
  let attempt = 0;
  const timers = { retry: undefined as unknown, welcome: undefined as unknown, refresh: undefined as unknown, heartbeat: undefined as unknown };

  // A function, not an inline check: TS narrows `state` across awaits and misses a stop().
  const stale = (mine: number) => mine !== attempt || state === 'stopped';
  const clearTimers = (...names: Array<keyof typeof timers>) => {
    for (const n of names) (clock.clear(timers[n]), (timers[n] = undefined));
  };

  async function connect(): Promise<void> {
    const mine = ++attempt;
    state = 'connecting';
    let token: string;
    try {
      token = await opts.getToken();
    } catch (err) {
      if (stale(mine)) return;
      const e = toMeshError(err, 'token-failed');
      if (!e.retryable) return fatal(e);
      return retry(0, `token request failed: ${e.message}`);
    }
    if (stale(mine)) return;
    let socket: WebSocket;
    try {
      socket = new opts.platform.WebSocket(opts.url);
    } catch (err) {
      return fatal(new MeshError('bad-url', `cannot open ${opts.url}: ${toMeshError(err).message}`, { retryable: false }));
    }
    ws = socket;
    timers.welcome = clock.set(() => drop(socket, 0, 'no welcome in time'), opts.welcomeTimeoutMs ?? 10_000);
    socket.onopen = () => socket.send(JSON.stringify({ type: 'hello', token }));
    socket.onmessage = (ev: MessageEvent) => {
      if (ws === socket && typeof ev.data === 'string') onFrame(ev.data);
    };
    socket.onclose = (ev: CloseEvent) => {
      if (ws === socket) drop(socket, ev.code, ev.reason);
    };
    // An error is always followed by a close event; that is where we act.
    socket.onerror = () => undefined;
  }

  function onFrame(text: string): void {
    const parsed = validate(ServerFrameSchema, parseJson(text));
    if (!parsed.ok) return events.emit('server-error', { code: 'bad-server-frame', message: parsed.message });
    const frame = parsed.value;
    switch (frame.type) {
      case 'welcome': {
        clearTimers('welcome');
        session = frame;
        serverOffset = frame.serverTime - clock.now();
        state = 'open';
        backoff.reset();
        pacer = createFramePacer(write, frame.limits, clock);
        scheduleRefresh(frame.tokenExpiresAt);
        heartbeat();
        return events.emit('welcome', { frame, resumed: sessions++ > 0 });
      }
      case 'auth-ok':
        scheduleRefresh(frame.tokenExpiresAt);
        return events.emit('token-refreshed', { expiresAt: frame.tokenExpiresAt });
      case 'peer-joined':
        return events.emit('peer-joined', frame.peer);
      case 'peer-left':
        return events.emit('peer-left', { peerId: frame.peerId });
      case 'presence':
        // A batch: departures first, so a peer that left and came back ends up present.
        for (const peerId of frame.left) events.emit('peer-left', { peerId });
        for (const peer of frame.joined) events.emit('peer-joined', peer);
        return;
      case 'relay':
        return events.emit('relay', { from: frame.from, payload: frame.payload });
      case 'error':
        if (frame.code === 'bad-token') timers.refresh = clock.set(refresh, 2000);
        return events.emit('server-error', { code: frame.code, message: frame.message, ...(frame.ref ? { ref: frame.ref } : {}) });
      case 'task-assigned':
      case 'task-updated':
        return events.emit('task', frame);
      default:
        return events.emit('signal', frame);
    }
  }

  function write(text: string): void {
    // Chromium logs (not throws) on a send after the server's close frame; its close event reconnects.
    // Once OPEN, send() throws on no platform (browsers, Node's ws and Deno throw only while CONNECTING).
    if (ws?.readyState === OPEN) ws.send(text);
  }

  function detach(socket: WebSocket): void {
    socket.onopen = socket.onmessage = socket.onclose = socket.onerror = null;
    pacer?.reset(new MeshError('signaling-lost', 'the signaling connection dropped'));
    pacer = undefined;
    ws = undefined;
    clearTimers('welcome', 'refresh', 'heartbeat');
  }

  function drop(socket: WebSocket, code: number, reason: string): void {
    detach(socket);
    try {
      socket.close();
    } catch {
      // Already closed.
    }
    if (state === 'stopped') return;
    if (code === CloseCode.revoked) return fatal(new MeshError('revoked', reason || 'credential revoked', { retryable: false }));
    retry(code, reason);
  }

  function retry(code: number, reason: string): void {
    state = 'connecting';
    const delay = backoff.next();
    events.emit('disconnected', { code, reason, retryInMs: delay });
    timers.retry = clock.set(() => void connect(), delay);
  }

  function fatal(err: MeshError): void {
    stop();
    events.emit('fatal', err);
  }

  function scheduleRefresh(expiresAt: number): void {
    clearTimers('refresh');
    const remaining = expiresAt - (clock.now() + serverOffset);
    const lead = opts.refreshLeadMs ?? Math.max(5000, remaining * 0.2);
    timers.refresh = clock.set(refresh, Math.max(1000, remaining - lead));
  }

  async function refresh(): Promise<void> {
    const socket = ws;
    let token: string;
    try {
      token = await opts.getToken();
    } catch (err) {
      if (ws !== socket || state !== 'open') return;
      // A refused credential will not be accepted later either: stop now, not at the token's expiry.
      const e = toMeshError(err, 'token-failed');
      if (!e.retryable) return fatal(e);
      timers.refresh = clock.set(refresh, 2000);
      return;
    }
    if (ws === socket && state === 'open') client.send({ type: 'auth', token });
  }

  function heartbeat(): void {
    timers.heartbeat = clock.set(() => {
      client.send({ type: 'heartbeat', payload: { load: Math.max(0, Math.floor(opts.load?.() ?? 0)) } });
      heartbeat();
    }, opts.heartbeatMs ?? 30_000);
  }

  function stop(): void {
    if (state === 'stopped') return;
    state = 'stopped';
    attempt++;
    clearTimers('retry');
    const socket = ws;
    if (socket) {
      detach(socket);
      try {
        socket.close(CloseCode.normal, 'bye');
      } catch {
        // Already closed.
      }
    }
  }

  const client: SignalingClient = {
    on: events.on,
    get state() {
      return state;
    },
    get session() {
      return session;
    },
    start() {
      if (state === 'idle') void connect();
    },
    stop,
    send(frame) {
      if (state !== 'open' || !pacer || !session) return false;
      const text = JSON.stringify(frame);
      if (!fitsIn(text, session.limits.maxFrameBytes)) return false;
      pacer.control(text);
      return true;
    },
    relay(to, payload) {
      if (state !== 'open' || !pacer || !session) return Promise.reject(new MeshError('signaling-lost', 'not connected to the signaling server'));
      const text = JSON.stringify({ type: 'relay', to, payload });
      const max = session.limits.maxFrameBytes;
      if (!fitsIn(text, max)) return Promise.reject(new MeshError('too-large', `relay frame exceeds the server's ${max}-byte frame limit`));
      return pacer.data(text);
    },
  };
  return client;
}
