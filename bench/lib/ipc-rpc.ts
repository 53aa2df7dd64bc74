import type { ChildProcess } from 'node:child_process';

/** A request from the benchmark process to a child over Node's IPC channel. */
interface RpcRequest {
  rpc: number;
  op: string;
  args: unknown;
}

/** The child's answer to one request; `rpc: 0, ready: true` announces the handlers. */
interface RpcReply {
  rpc: number;
  ready?: boolean;
  ok?: boolean;
  result?: unknown;
  error?: string;
}

/** A failed remote call: the child's error message, or a timeout / exit on this side. */
export class RpcError extends Error {
  override name = 'RpcError';
}

export type RpcHandlers = Record<string, (args: never) => unknown>;

/** In a child: answers requests with `handlers[op](args)` and announces readiness. */
export function serveRpc(handlers: RpcHandlers): void {
  const send = process.send?.bind(process);
  if (!send) throw new RpcError('serveRpc needs an IPC channel (spawn with stdio "ipc")');
  process.on('message', (msg: RpcRequest) => {
    if (typeof msg?.rpc !== 'number' || typeof msg.op !== 'string') return;
    const handler = handlers[msg.op];
    void (async () => {
      try {
        if (!handler) throw new RpcError(`unknown op "${msg.op}"`);
        const result = await (handler as (args: unknown) => unknown)(msg.args);
        send({ rpc: msg.rpc, ok: true, result } satisfies RpcReply);
      } catch (err) {
        send({ rpc: msg.rpc, ok: false, error: err instanceof Error ? err.message : String(err) } satisfies RpcReply);
      }
    })();
  });
  send({ rpc: 0, ready: true } satisfies RpcReply);
}

export interface RpcClient {
  /** Resolves once the child has called `serveRpc`. */
  ready: Promise<void>;
  /** Calls `op` in the child; rejects with `RpcError` on a remote error, timeout (ms) or exit. */
  call<T>(op: string, args?: unknown, timeoutMs?: number): Promise<T>;
}

/** The parent side of `serveRpc` for one child process. */
export function createRpcClient(child: ChildProcess): RpcClient {
  let next = 1;
  const waiting = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.on('message', (msg: RpcReply) => {
    if (msg?.ready) return markReady();
    const w = waiting.get(msg?.rpc);
    if (!w) return;
    waiting.delete(msg.rpc);
    if (msg.ok) w.resolve(msg.result);
    else w.reject(new RpcError(msg.error ?? 'remote call failed'));
  });
  child.once('exit', (code, signal) => {
    for (const w of waiting.values()) w.reject(new RpcError(`child exited (${code ?? signal}) during a call`));
    waiting.clear();
  });
  return {
    ready,
    call<T>(op: string, args?: unknown, timeoutMs = 120_000) {
      const rpc = next++;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => (waiting.delete(rpc), reject(new RpcError(`"${op}" took over ${timeoutMs} ms`))), timeoutMs);
        waiting.set(rpc, {
          resolve: (v) => (clearTimeout(timer), resolve(v as T)),
          reject: (e) => (clearTimeout(timer), reject(e)),
        });
        child.send({ rpc, op, args } satisfies RpcRequest);
      });
    },
  };
}
