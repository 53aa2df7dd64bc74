import { createTokenBucket } from '../../../protocol/token-bucket.ts';
import { MeshMessageSchema, validate, type AgentInfo, type MeshMessage, type MeshPayload } from '../../../protocol/index.ts';
import { CHAT_SKILL, type AgentHost } from '../agent-host.ts';
import { MeshError } from '../errors.ts';
import { makeMessage, type MeshSend } from '../calls/message-factory.ts';
import type { PendingRequests } from '../calls/pending-requests.ts';
import type { Clock } from '../platform.ts';
import { createRequestCache } from './request-cache.ts';
import { errorPayload, startAbortable, type AbortableRun } from '../calls/skill-outcome.ts';

/**
 * The responder side: validates every inbound MeshMessage with protocol/index.ts, answers
 * ping and skill-query, runs task-request and chat on the AgentHost (streaming chunks, honouring
 * cancel and a timeout), hands replies to the pending-request table, and answers anything
 * malformed with an `error` message. Nothing a peer sends can throw out of `receive`.
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
/** Finals above this many bytes are not kept for replay (a retry then gets `result-expired`). */
const MAX_CACHED_FINAL_BYTES = 1024 * 1024;

/** Creates the router; `pending` receives the replies to our own requests. */
export function createMessageRouter(o: RouterOptions): MessageRouter {
  const { clock, host, pending } = o;
  const maxTaskMs = o.maxTaskMs ?? 600_000;
  const cache = createRequestCache(clock);
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

  /** Runs one task or chat request once, streaming chunks, and answers with its final message. */
  async function serve(
    msg: Extract<MeshMessage, { type: 'task-request' | 'chat' }>,
    skill: string,
    input: unknown,
    timeoutMs: number | undefined,
    chunkOf: ((seq: number, data: unknown) => MeshMessage) | undefined,
    finalOf: (output: unknown, seq: number, durationMs: number) => MeshMessage,
  ): Promise<void> {
    const seen = cache.get(msg.from, msg.id);
    if (seen) {
      if (seen.final) void deliver(msg.from, seen.final);
      return;
    }
    let seq = 0;
    // Chunks go out strictly one after another, and the final only after the last chunk.
    let tail: Promise<unknown> | undefined;
    // Set right below; a skill may stream synchronously inside `host.run`, before it is.
    let started: AbortableRun<unknown> | undefined;
    const onChunk = chunkOf && ((data: unknown) => {
      if (started?.aborted) return;
      const m = chunkOf(seq++, data ?? null);
      tail = (tail ?? Promise.resolve()).then(() => deliver(msg.from, m));
    });
    const startedAt = clock.now();
    const run = (started = startAbortable((ctx) => host.run(skill, input, ctx), onChunk));
    cache.begin(msg.from, msg.id, run.abort);
    const limit = Math.min(timeoutMs ?? maxTaskMs, maxTaskMs);
    const timer = clock.set(() => run.abort(new MeshError('timeout', `"${skill}" ran longer than ${limit} ms`)), limit);
    let final: MeshMessage;
    try {
      const output = await run.result;
      final = finalOf(output ?? null, seq, clock.now() - startedAt);
    } catch (err) {
      final = reply(msg, 'task-error', errorPayload(err));
    } finally {
      clock.clear(timer);
    }
    if (tail) await tail;
    const receipt = await o.send(msg.from, final).catch((err: unknown) => err);
    if (receipt instanceof MeshError && receipt.code === 'bad-message') {
      // The output could not be encoded (not JSON-serializable): tell the caller instead.
      final = reply(msg, 'task-error', { code: 'bad-output', message: receipt.message });
      void deliver(msg.from, final);
    } else if (!(receipt instanceof Error) && (receipt as { bytes: number }).bytes > MAX_CACHED_FINAL_BYTES) {
      final = reply(msg, 'task-error', { code: 'result-expired', message: 'the result was too large to keep for a retry; run the task again' });
    }
    cache.finish(msg.from, msg.id, final);
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
      case 'task-request': {
        const p = msg.payload;
        const chunkOf = p.stream ? (seq: number, data: unknown) => reply(msg, 'task-chunk', { seq, data }) : undefined;
        return void serve(msg, p.skill, p.input, p.timeoutMs, chunkOf, (output, _seq, durationMs) => reply(msg, 'task-result', { output, durationMs }));
      }
      case 'chat': {
        const input = { text: msg.payload.text, from: peerId, ...(msg.payload.agent ? { agent: msg.payload.agent } : {}) };
        return void serve(
          msg, CHAT_SKILL, input, undefined,
          (seq, data) => reply(msg, 'chat-chunk', { seq, text: chatText(data) }),
          (output, seq) => reply(msg, 'chat-chunk', { seq, text: seq === 0 && output !== null ? chatText(output) : '', done: true }),
        );
      }
      case 'cancel': {
        if (msg.replyTo === undefined) return;
        const seen = cache.get(peerId, msg.replyTo);
        const reason = msg.payload.reason ?? 'cancelled by the caller';
        if (seen?.abort && !seen.final) seen.abort(new MeshError('cancelled', reason));
        // A cancel that overtook its request: refuse the request when it arrives.
        else if (!seen) cache.finish(peerId, msg.replyTo, makeMessage(o.localId(), peerId, 'task-error', { code: 'cancelled', message: reason }, msg.replyTo));
        return;
      }
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
    running: (peerId) => cache.running(peerId).length,
    abortFrom(peerId, reason) {
      for (const e of cache.running(peerId)) e.abort?.(new MeshError('peer-left', reason));
      errorBuckets.delete(peerId);
    },
    stop() {
      for (const e of cache.running()) e.abort?.(new MeshError('stopped', 'the mesh is stopping'));
      cache.clear();
    },
  };
}

function chatText(data: unknown): string {
  if (typeof data === 'string') return data;
  const t = (data as { text?: unknown } | null)?.text;
  return typeof t === 'string' ? t : JSON.stringify(data) ?? '';
}
