import type { Socket } from 'node:net';
import { timingSafeEqual } from 'node:crypto';
import type { Skill } from '../../protocol/index.ts';
import { validate } from '../../protocol/index.ts';
import { SkillError } from '../../web/mesh/index.ts';
import { LocalApiError } from './errors.ts';
import { createLineSplitter, parseJsonLine, toJsonLine } from './json-lines.ts';
import { agentGone } from './local-agents.ts';
import { createMeshOps, describeError, type LocalApiContext } from './mesh-ops.ts';
import { watchMesh } from './watch.ts';
import { ANSWER_OPS, CallAnswerSchema, LOCAL_API_VERSION, LocalRequestSchema, REQUEST_OPS, type LocalRequest, type NodeLine, type RequestIdValue } from './protocol.ts';

export interface ConnectionOptions {
  /** The node's mesh once joined; requests before that fail with `not-joined`. */
  context: () => LocalApiContext | undefined;
  maxLineBytes: number;
  /** TCP only: the first line must be `{op: "auth", token}` with this token. */
  token?: string;
  /** Tells the registry about an agent a client added or removed (best effort). */
  announce(name: string, skills: Skill[] | undefined): Promise<boolean>;
  log(line: string): void;
}

interface ForwardedCall {
  agent: string;
  skill: string;
  onChunk: ((data: unknown) => void) | undefined;
  resolve(output: unknown): void;
  reject(err: Error): void;
}

/**
 * Serves one local-API client: its requests, and the calls remote peers make to the agents it
 * registered. When the client goes, its agents go with it and calls it was serving fail with
 * `agent-gone` (never left hanging).
 */
export function serveConnection(socket: Socket, o: ConnectionOptions): void {
  let authed = o.token === undefined;
  let closed = false;
  let callSeq = 0;
  const running = new Map<RequestIdValue, AbortController>();
  const agents = new Set<string>();
  const forwarded = new Map<string, ForwardedCall>();

  const send = (line: NodeLine) => {
    if (!closed) socket.write(toJsonLine(line));
  };
  const fail = (id: RequestIdValue | null, code: string, message: string) => send({ id, ok: false, error: { code, message } });
  const hello = () => send({ event: 'hello', protocol: LOCAL_API_VERSION, peerId: o.context()?.peerId ?? null });

  const onLine = (line: string) => {
    const msg = parseJsonLine(line);
    if (msg === undefined) return fail(null, 'bad-json', 'the line is not valid JSON (one JSON object per line)');
    const id = idOf(msg);
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return fail(null, 'bad-request', '(root): must be a JSON object');
    const op = (msg as { op?: unknown }).op;
    if (!authed) {
      const given = op === 'auth' ? (msg as { token?: unknown }).token : undefined;
      if (typeof given === 'string' && sameToken(given, o.token!)) {
        authed = true;
        send({ id, ok: true, result: {} });
        return hello();
      }
      fail(id, 'unauthorized', 'send {"op":"auth","token":…} first with the token from local-api.json in the data dir');
      socket.end();
      closed = true;
      return;
    }
    if (typeof op === 'string' && ANSWER_OPS.has(op)) return onAnswer(msg);
    if (typeof op !== 'string' || !REQUEST_OPS.has(op)) return fail(id, 'unknown-op', `op: must be one of ${[...REQUEST_OPS].join(', ')}, or an answer (${[...ANSWER_OPS].join(', ')})`);
    const checked = validate(LocalRequestSchema, msg);
    if (!checked.ok) return fail(id, 'bad-request', checked.message);
    void onRequest(checked.value);
  };

  async function onRequest(r: LocalRequest): Promise<void> {
    if (running.has(r.id)) return fail(r.id, 'duplicate-id', `id: ${JSON.stringify(r.id)} is still running on this connection; use a new id per request`);
    if (r.op === 'cancel') {
      running.get(r.target)?.abort(new LocalApiError('cancelled', 'cancelled by the client'));
      return send({ id: r.id, ok: true, result: { cancelled: running.has(r.target) } });
    }
    if (r.op === 'auth') return send({ id: r.id, ok: true, result: {} });
    const ctx = o.context();
    if (!ctx) return fail(r.id, 'not-joined', 'the node has not joined the mesh yet; retry in a moment');
    const abort = new AbortController();
    running.set(r.id, abort);
    try {
      const result = await handle(ctx, r, abort.signal);
      send({ id: r.id, ok: true, result });
    } catch (err) {
      const e = abort.signal.aborted ? describeError(abort.signal.reason) : describeError(err);
      fail(r.id, e.code, e.message);
    } finally {
      running.delete(r.id);
    }
  }

  async function handle(ctx: LocalApiContext, r: Exclude<LocalRequest, { op: 'cancel' | 'auth' }>, signal: AbortSignal): Promise<unknown> {
    const mesh = createMeshOps(ctx);
    switch (r.op) {
      case 'call': return mesh.call(r, signal, (chunk) => send({ id: r.id, chunk }));
      case 'ping': return mesh.ping(r);
      case 'connect': return mesh.connect(r);
      case 'info': return mesh.info();
      case 'peers': return mesh.peers();
      case 'agents': return mesh.agents();
      case 'links': return mesh.links();
      case 'watch': return watchMesh(ctx, signal, (event) => send({ id: r.id, chunk: event }));
      case 'register': {
        const info = ctx.host.add(r.agent, r.skills, (skill, input, run) => forward(r.agent, skill, input, run));
        agents.add(r.agent);
        return { agent: info.name, skills: info.skills.map((s) => s.name), announced: await o.announce(r.agent, r.skills) };
      }
      case 'unregister': {
        if (!agents.delete(r.agent)) throw new LocalApiError('not-registered', `agent: this connection registered no agent "${r.agent}"`);
        drop(r.agent, 'unregistered');
        return { agent: r.agent };
      }
    }
  }

  /** A remote peer's call to one of this client's skills: sent as an event, answered by chunk/result/error lines. */
  function forward(agent: string, skill: string, input: unknown, run: { signal: AbortSignal; onChunk?: (d: unknown) => void }): Promise<unknown> {
    if (closed) return Promise.reject(agentGone(agent, skill));
    const call = `c${++callSeq}`;
    return new Promise((resolve, reject) => {
      const done = () => (forwarded.delete(call), run.signal.removeEventListener('abort', onAbort));
      const onAbort = () => {
        done();
        send({ event: 'cancel', call, reason: String((run.signal.reason as Error | undefined)?.message ?? 'cancelled') });
        reject(run.signal.reason instanceof Error ? run.signal.reason : new SkillError('cancelled', 'cancelled'));
      };
      forwarded.set(call, {
        agent, skill, onChunk: run.onChunk,
        resolve: (v) => (done(), resolve(v)),
        reject: (e) => (done(), reject(e)),
      });
      run.signal.addEventListener('abort', onAbort, { once: true });
      send({ event: 'call', call, agent, skill, input, stream: run.onChunk !== undefined });
    });
  }

  function onAnswer(msg: object): void {
    const checked = validate(CallAnswerSchema, msg);
    if (!checked.ok) return fail(null, 'bad-request', checked.message);
    const a = checked.value;
    const call = forwarded.get(a.call);
    if (!call) return fail(null, 'unknown-call', `call: no call "${a.call}" is waiting for an answer on this connection (finished or cancelled?)`);
    if (a.op === 'chunk') call.onChunk?.(a.data);
    else if (a.op === 'result') call.resolve(a.output);
    else call.reject(new SkillError(a.code ?? 'skill-failed', a.message));
  }

  /** Removes a client's agent: no new calls reach it; calls it was serving fail at once. */
  function drop(agent: string, why: string): void {
    const ctx = o.context();
    ctx?.host.remove(agent);
    for (const [, c] of forwarded) if (c.agent === agent) c.reject(agentGone(agent, c.skill));
    void o.announce(agent, undefined);
    o.log(`local API: agent "${agent}" ${why}`);
  }

  socket.on('data', createLineSplitter(o.maxLineBytes, onLine, (bytes) => {
    fail(null, 'too-large', `a line of more than ${o.maxLineBytes} bytes (${bytes} so far) was discarded; send large data in pieces`);
  }));
  socket.on('error', () => undefined);
  socket.on('close', () => {
    closed = true;
    for (const a of running.values()) a.abort(new LocalApiError('cancelled', 'the client disconnected'));
    for (const agent of agents) drop(agent, 'dropped: its process disconnected');
    agents.clear();
  });
  if (authed) hello();
}

function idOf(msg: unknown): RequestIdValue | null {
  const id = (msg as { id?: unknown } | null)?.id;
  return (typeof id === 'string' && id.length <= 64) || (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) ? id : null;
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
