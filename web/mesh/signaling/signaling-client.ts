import { CloseCode, parseJson, ServerFrameSchema, validate, type WelcomeFrame } from '../../../protocol/index.ts';
import { createBackoff } from '../../../protocol/backoff.ts';
import { createEmitter } from '../emitter.ts';
import { MeshError, toMeshError } from '../errors.ts';
import { createFramePacer, type FramePacer } from './frame-pacer.ts';
import { clockOf } from '../platform.ts';
import { emitServerFrame } from './signaling-frames.ts';
import type { SignalingClient, SignalingEvents, SignalingOptions, SignalingState } from './signaling-types.ts';
import { sendControl, sendRelay } from './paced-frames.ts';
import { createLazySessionUpkeep } from './lazy-session-upkeep.ts';

export type { SignalFrame, SignalingClient, SignalingEvents, SignalingOptions, SignalingState, TaskPushFrame } from './signaling-types.ts';

// WebSocket.OPEN; read from the constant because injected socket classes may not expose statics.
const OPEN = 1;

/** Closes a socket that may be closed already (close() can throw then). */
function closeQuietly(socket: WebSocket, bye?: { code: number; reason: string }): void {
  try {
    if (bye) socket.close(bye.code, bye.reason);
    else socket.close();
  } catch {
    // Already closed.
  }
}

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
  let attempt = 0;
  const timers = { retry: undefined as unknown, welcome: undefined as unknown };
  const upkeep = createLazySessionUpkeep({
    ...opts, clock,
    socket: () => ws,
    open: () => state === 'open',
    send: (frame) => client.send(frame),
    fatal: (e) => fatal(e),
  });

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
    // `welcome` and `presence` may say how long the server wants link changes reported.
    if ('watch' in frame && frame.watch !== undefined) events.emit('watch', frame.watch);
    if (frame.type === 'welcome') return welcomed(frame);
    if (frame.type === 'auth-ok') upkeep.schedule(frame.tokenExpiresAt);
    else if (frame.type === 'error' && frame.code === 'bad-token') upkeep.soon();
    emitServerFrame(events, frame);
  }

  function welcomed(frame: WelcomeFrame): void {
    clearTimers('welcome');
    session = frame;
    state = 'open';
    backoff.reset();
    pacer = createFramePacer(write, frame.limits, clock);
    upkeep.start(frame.serverTime, frame.tokenExpiresAt);
    events.emit('welcome', { frame, resumed: sessions++ > 0 });
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
    clearTimers('welcome');
    upkeep.stop();
  }

  function drop(socket: WebSocket, code: number, reason: string): void {
    detach(socket);
    closeQuietly(socket);
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

  function stop(): void {
    if (state === 'stopped') return;
    state = 'stopped';
    attempt++;
    clearTimers('retry');
    const socket = ws;
    if (socket) {
      detach(socket);
      closeQuietly(socket, { code: CloseCode.normal, reason: 'bye' });
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
      return state === 'open' && !!pacer && !!session && sendControl(pacer, session.limits.maxFrameBytes, frame);
    },
    relay(to, payload) {
      if (state !== 'open' || !pacer || !session) return Promise.reject(new MeshError('signaling-lost', 'not connected to the signaling server'));
      return sendRelay(pacer, session.limits.maxFrameBytes, to, payload);
    },
  };
  return client;
}
