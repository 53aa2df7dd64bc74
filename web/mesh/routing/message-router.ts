import { createTokenBucket } from '../../../protocol/token-bucket.ts';
import { MeshMessageSchema, validate, type AgentInfo, type MeshMessage, type MeshPayload } from '../../../protocol/index.ts';
import type { AgentHost } from '../agent-host.ts';
import { makeMessage, type MeshSend } from '../calls/message-factory.ts';
import type { PendingRequests } from '../calls/pending-requests.ts';
import { lazyModule } from '../lazy-module.ts';
import type { Clock } from '../platform.ts';
import type { RequestServer } from './request-server.ts';

/**
 * The responder side: validates every inbound MeshMessage with protocol/index.ts, answers
 * ping and skill-query, hands task-request, chat and cancel to the request server
 * (request-server.ts: runs them on the AgentHost, streaming chunks, honouring cancel and a
 * timeout), replies to the pending-request table, and answers anything malformed with an `error`
 * message. Nothing a peer sends can throw out of `receive`.
 */
export interface RouterOptions {
  localId: () => string;
  host: AgentHost;
  send: MeshSend;
  pending: PendingRequests;
  clock: Clock;
  /** Upper bound for any task or chat run here, whatever the caller asks (default 10 min). */
  maxTaskMs?: number;
  onStatus?: (peerId: string, payload: MeshPayload<'status'>) => void;
  /** An `error` message that matched no pending request. */
  onRemoteError?: (peerId: string, payload: MeshPayload<'error'>) => void;
}

export interface MessageRouter {
  /** Handles one inbound message from `peerId` (already authenticated by its transport). */
  receive(peerId: string, raw: unknown): void;
  /** Replies `error` to `peerId` (rate-limited per peer; never in reply to an `error`). */
  replyError(peerId: string, raw: unknown, code: string, message: string): void;
  /** Tasks and chats running here (for `load`). */
  running(peerId?: string): number;
  /** Aborts everything `peerId` asked us to run (it left). */
  abortFrom(peerId: string, reason: string): void;
  stop(): void;
}

const MAX_AGENTS = 64;
const MAX_SKILLS = 128;

/** Creates the router; `pending` receives the replies to our own requests. */
export function createMessageRouter(o: RouterOptions): MessageRouter {
  const { clock, host, pending } = o;
  const errorBuckets = new Map<string, ReturnType<typeof createTokenBucket>>();

  const reply = <T extends MeshMessage['type']>(to: MeshMessage, type: T, payload: MeshPayload<T>) =>
    makeMessage(o.localId(), to.from, type, payload, to.id);
  const deliver = (peerId: string, msg: MeshMessage) => o.send(peerId, msg).catch(() => undefined);

  function replyError(peerId: string, raw: unknown, code: string, message: string): void {
    const r = (typeof raw === 'object' && raw !== null ? raw : {}) as { type?: unknown; id?: unknown };
    if (r.type === 'error') return;
    let bucket = errorBuckets.get(peerId);
    if (!bucket) errorBuckets.set(peerId, (bucket = createTokenBucket(20, 50, clock.now)));
    if (!bucket.take()) return;
    const replyTo = typeof r.id === 'string' && r.id.length > 0 && r.id.length <= 64 ? r.id : undefined;
    void deliver(peerId, makeMessage(o.localId(), peerId, 'error', { code, message: message.slice(0, 4000) }, replyTo));
  }

  function agents(): AgentInfo[] {
    try {
      return host.agents().slice(0, MAX_AGENTS).map((a) => ({ ...a, skills: a.skills.slice(0, MAX_SKILLS) }));
    } catch {
      return [];
    }
  }

  // The serving half loads with the first request to serve; a peer that offers agents will be
  // asked to run them, so its server loads now (the browser library's first load leaves it out).
  let server: RequestServer | undefined;
  let waiting = 0;
  let queue = Promise.resolve();
  let stopped = false;
  const loadServer = lazyModule(() =>
    import('./request-server.ts').then((m) => (server = m.createRequestServer({ localId: o.localId, host, send: o.send, clock, maxTaskMs: o.maxTaskMs ?? 600_000 }))));
  if (agents().length) loadServer().catch(() => undefined);

  /** Requests that come while the server loads are handled after it, in the order they came. */
  function toServer(peerId: string, raw: unknown, msg: Extract<MeshMessage, { type: 'task-request' | 'chat' | 'cancel' }>): void {
    if (server && !waiting) return server.handle(peerId, msg);
    waiting++;
    queue = queue
      .then(loadServer)
      .then(
        (s) => void (stopped || s.handle(peerId, msg)),
        (err: unknown) => void (msg.type === 'cancel' || replyError(peerId, raw, 'internal', `could not load the request server: ${err instanceof Error ? err.message : String(err)}`)),
      )
      .finally(() => void waiting--);
  }

  function handle(peerId: string, raw: unknown): void {
    const parsed = validate(MeshMessageSchema, raw);
    if (!parsed.ok) return replyError(peerId, raw, 'bad-message', parsed.message);
    const msg = parsed.value;
    if (msg.from !== peerId) return replyError(peerId, raw, 'bad-message', `from: must be the sending peer "${peerId}"`);
    if (msg.to !== o.localId()) return replyError(peerId, raw, 'bad-message', `to: must be this peer "${o.localId()}"`);
    switch (msg.type) {
      case 'ping':
        return void deliver(peerId, reply(msg, 'pong', { sentAt: msg.payload.sentAt }));
      case 'skill-query':
        return void deliver(peerId, reply(msg, 'skill-list', { agents: agents() }));
      case 'task-request':
      case 'chat':
      case 'cancel':
        return toServer(peerId, raw, msg);
      case 'status':
        return o.onStatus?.(peerId, msg.payload);
      default:
        if (pending.settle(msg)) return;
        if (msg.type === 'error') o.onRemoteError?.(peerId, msg.payload);
      // Any other reply matches nothing we wait for (late, or after a retry): dropped.
    }
  }

  return {
    receive(peerId, raw) {
      try {
        handle(peerId, raw);
      } catch (err) {
        replyError(peerId, raw, 'internal', `could not handle the message: ${err instanceof Error ? err.message : String(err)}`);
      }
    },
    replyError,
    running: (peerId) => server?.running(peerId) ?? 0,
    abortFrom(peerId, reason) {
      server?.abortFrom(peerId, reason);
      errorBuckets.delete(peerId);
    },
    stop() {
      stopped = true;
      server?.stop();
    },
  };
}

