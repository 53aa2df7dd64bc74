import type { MeshMessage, MeshPayload } from '../../../protocol/index.ts';
import { CHAT_SKILL, type AgentHost } from '../agent-host.ts';
import { MeshError } from '../errors.ts';
import { makeMessage, type MeshSend } from '../calls/message-factory.ts';
import type { Clock } from '../platform.ts';
import { createRequestCache } from './request-cache.ts';
import { errorPayload, startAbortable, type AbortableRun } from '../calls/skill-outcome.ts';

/**
 * The serving half of the responder (message-router.ts): runs `task-request` and `chat` on the
 * AgentHost once per request id (streaming chunks in order, a timeout, replays of a finished
 * request's final), and honours `cancel`, also one that overtook its request. Messages come here
 * validated. Loaded with the first request to serve, or at once by a peer that offers agents
 * (docs/browser-library.md "Size").
 */
export interface RequestServer {
  /** A validated `task-request`, `chat` or `cancel` from `peerId` (its sender). */
  handle(peerId: string, msg: Extract<MeshMessage, { type: 'task-request' | 'chat' | 'cancel' }>): void;
  running(peerId?: string): number;
  abortFrom(peerId: string, reason: string): void;
  stop(): void;
}

/** Finals above this many bytes are not kept for replay (a retry then gets `result-expired`). */
const MAX_CACHED_FINAL_BYTES = 1024 * 1024;

export function createRequestServer(o: { localId: () => string; host: AgentHost; send: MeshSend; clock: Clock; maxTaskMs: number }): RequestServer {
  const { clock, host, maxTaskMs } = o;
  const cache = createRequestCache(clock);
  const reply = <T extends MeshMessage['type']>(to: MeshMessage, type: T, payload: MeshPayload<T>) =>
    makeMessage(o.localId(), to.from, type, payload, to.id);
  const deliver = (peerId: string, msg: MeshMessage) => o.send(peerId, msg).catch(() => undefined);

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

  return {
    handle(peerId, msg) {
      switch (msg.type) {
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
        }
      }
    },
    running: (peerId) => cache.running(peerId).length,
    abortFrom(peerId, reason) {
      for (const e of cache.running(peerId)) e.abort?.(new MeshError('peer-left', reason));
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
