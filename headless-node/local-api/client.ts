import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Skill, Tier } from '../../protocol/index.ts';
import type { PingResult } from '../../web/mesh/index.ts';
import type { RouteInfo } from '../../web/mesh/index.ts';
import { LocalApiError } from './errors.ts';
import { createLineSplitter, DEFAULT_MAX_LINE_BYTES, parseJsonLine, toJsonLine } from './json-lines.ts';
import type { ListedAgent, PeerRow } from './mesh-ops.ts';
import type { WatchEvent } from './protocol.ts';
import { localApiSocketPath, TCP_INFO_FILE } from './socket-file.ts';

export { LocalApiError, localApiSocketPath };
export type { ListedAgent, PeerRow, WatchEvent };

/** A finished call: `tier` is `local` when the skill ran on the node itself; `hops` on the `routed` tier. */
export interface LocalCallResult { output: unknown; peerId: string; tier: Tier | 'local'; hops?: number; ms: number }
export interface LocalCallOptions { peer?: string; stream?: boolean; onChunk?: (data: unknown) => void; timeoutMs?: number; signal?: AbortSignal }
/** Serves a skill a remote peer called; `onChunk` streams (present when the caller asked to stream). */
export type LocalSkillHandler = (skill: string, input: unknown, ctx: { signal: AbortSignal; onChunk?: (data: unknown) => void }) => unknown;

export interface LocalApiClient {
  /** The node's peer id (null while it has not joined yet). */
  readonly peerId: string | null;
  call(skill: string, input?: unknown, opts?: LocalCallOptions): Promise<LocalCallResult>;
  ping(peer: string, opts?: { timeoutMs?: number }): Promise<PingResult>;
  connect(peer: string, opts?: { timeoutMs?: number }): Promise<RouteInfo>;
  peers(): Promise<{ peers: PeerRow[]; source: 'server' | 'node' }>;
  agents(): Promise<{ agents: ListedAgent[]; source: 'server' | 'node' }>;
  links(): Promise<{ links: RouteInfo[] }>;
  /**
   * Streams the node's mesh events (peers joining and leaving, signaling, this node's agents) to
   * `onEvent`; resolves once the node confirms the watch is live. `ended` settles when it stops.
   */
  watch(onEvent: (e: Exclude<WatchEvent, { event: 'watching' }>) => void): Promise<{ stop(): void; ended: Promise<void> }>;
  /** Offers `skills` to the mesh as agent `agent`, served by `handler` until unregister or close. */
  register(agent: string, skills: Skill[], handler: LocalSkillHandler): Promise<{ agent: string; skills: string[]; announced: boolean }>;
  unregister(agent: string): Promise<void>;
  close(): void;
  /** Resolves when the connection ends (either side). */
  readonly closed: Promise<void>;
}

/** Where to reach a node: its data dir (Unix socket), or the TCP port and token it announced. */
export type LocalApiTarget = string | { socketPath: string } | { host?: string; port: number; token: string };

/**
 * Connects to the local API of the `tabmesh node` serving `target` (docs/local-api.md). Rejects
 * with the socket error (ENOENT, ECONNREFUSED, EACCES) when no node serves it.
 */
export async function connectLocalApi(target: LocalApiTarget): Promise<LocalApiClient> {
  const socket = typeof target === 'string' ? netConnect(localApiSocketPath(target))
    : 'socketPath' in target ? netConnect(target.socketPath) : netConnect(target.port, target.host ?? '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return createClient(socket, typeof target === 'object' && 'token' in target ? target.token : undefined);
}

/** The TCP port and token a node started with `--local-api-port` wrote into its data dir. */
export function readTcpTarget(dataDir: string): { host: string; port: number; token: string } | undefined {
  try {
    return JSON.parse(readFileSync(join(dataDir, TCP_INFO_FILE), 'utf8')) as { host: string; port: number; token: string };
  } catch {
    return undefined;
  }
}

/** The node running on `dataDir`, or undefined when none answers there (no socket, or a stale one). */
export async function findRunningNode(dataDir: string): Promise<LocalApiClient | undefined> {
  try {
    return await connectLocalApi(dataDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ECONNREFUSED') return undefined;
    throw err;
  }
}

interface Pending { resolve(v: unknown): void; reject(e: Error): void; onChunk?: (d: unknown) => void }

async function createClient(socket: Socket, token: string | undefined): Promise<LocalApiClient> {
  let seq = 0;
  let peerId: string | null = null;
  const pending = new Map<number, Pending>();
  const handlers = new Map<string, LocalSkillHandler>();
  const serving = new Map<string, AbortController>();
  const write = (line: unknown) => void socket.write(toJsonLine(line));
  let greet: (() => void) | undefined;
  const greeted = new Promise<void>((resolve) => (greet = resolve));

  const request = <T>(body: Record<string, unknown>, onChunk?: (d: unknown) => void, signal?: AbortSignal): Promise<T> => {
    const id = ++seq;
    const answer = new Promise<T>((resolve, reject) => {
      if (socket.destroyed) return reject(new LocalApiError('closed', 'the connection to the node is closed'));
      const onAbort = () => write({ id: ++seq, op: 'cancel', target: id });
      signal?.addEventListener('abort', onAbort, { once: true });
      pending.set(id, {
        resolve: (v) => (signal?.removeEventListener('abort', onAbort), resolve(v as T)),
        reject: (e) => (signal?.removeEventListener('abort', onAbort), reject(e)),
        ...(onChunk ? { onChunk } : {}),
      });
      write({ id, ...body });
    });
    // The connection closing rejects every pending request at once; a caller that stopped caring (a
    // cancel it sent, a watch it left) must not turn that into an unhandled rejection that ends the
    // process. Callers that await still get the rejection: the handler below is a second listener.
    answer.catch(() => undefined);
    return answer;
  };

  const onEvent = (m: { event: string; peerId?: string | null; call?: string; skill?: string; input?: unknown; stream?: boolean; agent?: string }) => {
    if (m.event === 'hello') return (peerId = m.peerId ?? null), greet!();
    if (m.event === 'cancel') return serving.get(m.call!)?.abort(new LocalApiError('cancelled', 'the caller cancelled'));
    if (m.event !== 'call') return;
    const call = m.call!;
    const handler = handlers.get(m.agent!);
    const abort = new AbortController();
    serving.set(call, abort);
    const ctx = { signal: abort.signal, ...(m.stream ? { onChunk: (data: unknown) => write({ op: 'chunk', call, data }) } : {}) };
    void (async () => handler!(m.skill!, m.input, ctx))().then(
      (output) => write({ op: 'result', call, output }),
      (err: unknown) => write({ op: 'error', call, message: err instanceof Error ? err.message : String(err), ...codeOf(err) }),
    ).finally(() => serving.delete(call));
  };

  socket.on('data', createLineSplitter(DEFAULT_MAX_LINE_BYTES, (line) => {
    const m = parseJsonLine(line) as { id?: unknown; ok?: boolean; chunk?: unknown; result?: unknown; error?: { code: string; message: string }; event?: string } | undefined;
    if (!m) return;
    if (typeof m.event === 'string') return onEvent(m as Parameters<typeof onEvent>[0]);
    const p = typeof m.id === 'number' ? pending.get(m.id) : undefined;
    if (!p) return;
    if ('chunk' in m) return p.onChunk?.(m.chunk);
    pending.delete(m.id as number);
    if (m.ok) p.resolve(m.result);
    else p.reject(new LocalApiError(m.error?.code ?? 'internal', m.error?.message ?? 'failed'));
  }, () => undefined));
  const closed = new Promise<void>((resolve) => socket.once('close', () => {
    for (const p of pending.values()) p.reject(new LocalApiError('closed', 'the node closed the connection'));
    pending.clear();
    for (const a of serving.values()) a.abort(new LocalApiError('closed', 'the node closed the connection'));
    resolve();
  }));
  socket.on('error', () => undefined);
  if (token !== undefined) await request({ op: 'auth', token });
  await Promise.race([greeted, closed.then(() => {
    throw new LocalApiError('closed', 'the node closed the connection before greeting');
  })]);
  const timeout = (o?: { timeoutMs?: number }) => (o?.timeoutMs ? { timeoutMs: o.timeoutMs } : {});

  return {
    get peerId() {
      return peerId;
    },
    call: (skill, input, o = {}) => request({ op: 'call', skill, ...(input === undefined ? {} : { input }), ...(o.peer ? { peer: o.peer } : {}), ...(o.stream ? { stream: true } : {}), ...timeout(o) }, o.onChunk, o.signal),
    ping: (peer, o) => request({ op: 'ping', peer, ...timeout(o) }),
    connect: (peer, o) => request({ op: 'connect', peer, ...timeout(o) }),
    peers: () => request({ op: 'peers' }),
    agents: () => request({ op: 'agents' }),
    links: () => request({ op: 'links' }),
    async watch(onEvent) {
      const abort = new AbortController();
      let live!: () => void;
      const confirmed = new Promise<void>((resolve) => (live = resolve));
      const running = request<never>({ op: 'watch' }, (chunk) => {
        const e = chunk as WatchEvent;
        if (e.event === 'watching') live();
        else onEvent(e);
      }, abort.signal);
      const ended = running.then(() => undefined, () => undefined);
      await Promise.race([confirmed, running]);
      return { stop: () => abort.abort(), ended };
    },
    async register(agent, skills, handler) {
      handlers.set(agent, handler);
      return request<{ agent: string; skills: string[]; announced: boolean }>({ op: 'register', agent, skills }).catch((err: unknown) => {
        handlers.delete(agent);
        throw err;
      });
    },
    async unregister(agent) {
      await request({ op: 'unregister', agent });
      handlers.delete(agent);
    },
    close: () => void socket.end(),
    closed,
  };
}

function codeOf(err: unknown): { code?: string } {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[a-z0-9][a-z0-9-]{0,63}$/.test(code) ? { code } : {};
}
