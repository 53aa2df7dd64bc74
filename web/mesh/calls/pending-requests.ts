import type { MeshMessage, Tier } from '../../../protocol/index.ts';
import { MeshError, toMeshError } from '../errors.ts';
import { makeMessage, type MeshSend } from './message-factory.ts';
import type { Clock } from '../platform.ts';

/**
 * The caller side of every request (ping, skill-query, task-request, chat): one entry per id with
 * a timeout, optional AbortSignal, in-order chunk delivery, and retransmission when the route it
 * was sent on is replaced (the responder de-duplicates by id).
 */
export type RequestType = 'ping' | 'skill-query' | 'task-request' | 'chat';
export type RequestMessage = Extract<MeshMessage, { type: RequestType }>;

export interface RequestOptions {
  timeoutMs: number;
  /** Stream pieces in order: task-chunk `data`, or chat-chunk `text`. */
  onChunk?: (data: unknown) => void;
  signal?: AbortSignal;
}

export interface RequestOutcome {
  reply: MeshMessage;
  /** Tier the request last went out on. */
  tier: Tier | undefined;
  /** The agent channel it last went out on, if any. */
  agentChannel: string | undefined;
  /** Hops it last took on the `routed` tier. */
  hops: number | undefined;
  /** Chat only: the streamed text, concatenated. */
  text: string;
}

export interface PendingRequests {
  /** Sends `msg` and resolves with its final reply, or rejects with a MeshError. */
  start(msg: RequestMessage, opts: RequestOptions): Promise<RequestOutcome>;
  /** Offers an inbound reply; true when it belonged to a pending request. */
  settle(msg: MeshMessage): boolean;
  /** Resends requests to `peerId` that went out on a route other than `generation`. */
  retransmit(peerId: string, generation: string): void;
  failPeer(peerId: string, err: MeshError): void;
  failAll(err: MeshError): void;
  count(peerId?: string): number;
}

interface Entry {
  msg: RequestMessage;
  opts: RequestOptions;
  resolve(o: RequestOutcome): void;
  reject(err: MeshError): void;
  timer: unknown;
  sentOn: string | undefined;
  tier: Tier | undefined;
  agentChannel: string | undefined;
  hops: number | undefined;
  text: string;
  nextSeq: number;
  /** Made on the first chunk: most requests get none. */
  stash: Map<number, { data: unknown; done: boolean }> | undefined;
  unsubscribe(): void;
}

const MAX_STASH = 4096;
const noop = () => undefined;
const REPLIES: Record<RequestType, string[]> = {
  ping: ['pong'],
  'skill-query': ['skill-list'],
  'task-request': ['task-chunk', 'task-result', 'task-error'],
  chat: ['chat-chunk', 'task-error'],
};

/** Creates the table; `send` is the mesh's routed send. */
export function createPendingRequests(send: MeshSend, clock: Clock): PendingRequests {
  const entries = new Map<string, Entry>();

  function finish(e: Entry, outcome: MeshMessage | MeshError, cancel = false): void {
    if (entries.get(e.msg.id) !== e) return;
    entries.delete(e.msg.id);
    clock.clear(e.timer);
    e.unsubscribe();
    if (cancel && (e.msg.type === 'task-request' || e.msg.type === 'chat')) {
      const reason = outcome instanceof MeshError ? outcome.code : 'cancelled';
      void send(e.msg.to, makeMessage(e.msg.from, e.msg.to, 'cancel', { reason }, e.msg.id)).catch(() => undefined);
    }
    if (outcome instanceof MeshError) e.reject(outcome);
    else e.resolve({ reply: outcome, tier: e.tier, agentChannel: e.agentChannel, hops: e.hops, text: e.text });
  }

  function transmit(e: Entry): void {
    e.sentOn = undefined;
    send(e.msg.to, e.msg).then(
      (r) => ((e.sentOn = r.generation), (e.tier = r.tier), (e.agentChannel = r.agentChannel), (e.hops = r.hops)),
      (err) => finish(e, toMeshError(err)),
    );
  }

  // Chunks can arrive out of order only across a route change; deliver them by seq.
  function chunk(e: Entry, seq: number, data: unknown, done: boolean, reply: MeshMessage): void {
    const stash = (e.stash ??= new Map());
    if (seq < e.nextSeq || stash.has(seq)) return;
    stash.set(seq, { data, done });
    if (stash.size > MAX_STASH) return finish(e, new MeshError('bad-message', `more than ${MAX_STASH} chunks out of order`, { peerId: e.msg.to }), true);
    for (let item = stash.get(e.nextSeq); item; item = stash.get(e.nextSeq)) {
      stash.delete(e.nextSeq++);
      if (e.msg.type === 'chat') e.text += String(item.data);
      try {
        if (e.msg.type !== 'chat' || item.data !== '') e.opts.onChunk?.(item.data);
      } catch (err) {
        return finish(e, new MeshError('chunk-handler', `onChunk threw: ${toMeshError(err).message}`), true);
      }
      if (item.done) return finish(e, reply);
    }
  }

  return {
    start(msg, opts) {
      return new Promise<RequestOutcome>((resolve, reject) => {
        if (opts.signal?.aborted) return reject(new MeshError('cancelled', 'aborted before it was sent'));
        const e: Entry = {
          msg, opts, resolve, reject, sentOn: undefined, tier: undefined, agentChannel: undefined, hops: undefined, text: '', nextSeq: 0, stash: undefined,
          timer: undefined, unsubscribe: noop,
        };
        entries.set(msg.id, e);
        e.timer = clock.set(() => finish(e, new MeshError('timeout', `no reply from ${msg.to} to ${msg.type} within ${opts.timeoutMs} ms`, { peerId: msg.to }), true), opts.timeoutMs);
        if (opts.signal) {
          const onAbort = () => finish(e, new MeshError('cancelled', `${msg.type} to ${msg.to} was aborted`, { peerId: msg.to }), true);
          opts.signal.addEventListener('abort', onAbort, { once: true });
          e.unsubscribe = () => opts.signal!.removeEventListener('abort', onAbort);
        }
        transmit(e);
      });
    },
    settle(msg) {
      const e = msg.replyTo === undefined ? undefined : entries.get(msg.replyTo);
      if (!e || e.msg.to !== msg.from) return false;
      if (msg.type === 'error') {
        finish(e, MeshError.withCode(msg.payload.code, msg.payload.message, { peerId: msg.from, remote: true }));
        return true;
      }
      if (!REPLIES[e.msg.type].includes(msg.type)) return false;
      switch (msg.type) {
        case 'task-chunk':
          chunk(e, msg.payload.seq, msg.payload.data, false, msg);
          break;
        case 'chat-chunk':
          chunk(e, msg.payload.seq, msg.payload.text, msg.payload.done === true, msg);
          break;
        case 'task-error':
          finish(e, MeshError.withCode(msg.payload.code, msg.payload.message, { peerId: msg.from, remote: true }));
          break;
        default:
          finish(e, msg);
      }
      return true;
    },
    retransmit(peerId, generation) {
      for (const e of entries.values()) {
        if (e.msg.to === peerId && e.sentOn !== undefined && e.sentOn !== generation && e.msg.type !== 'ping') transmit(e);
      }
    },
    failPeer(peerId, err) {
      for (const e of [...entries.values()]) if (e.msg.to === peerId) finish(e, err);
    },
    failAll(err) {
      for (const e of [...entries.values()]) finish(e, err);
    },
    count(peerId) {
      if (peerId === undefined) return entries.size;
      let n = 0;
      for (const e of entries.values()) if (e.msg.to === peerId) n++;
      return n;
    },
  };
}
