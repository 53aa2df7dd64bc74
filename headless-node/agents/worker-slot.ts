import * as Comlink from 'comlink';
import nodeEndpoint from 'comlink/dist/esm/node-adapter.mjs';
import { Worker } from 'node:worker_threads';
import type { Skill } from '../../protocol/index.ts';
import { SkillError } from '../../web/mesh/index.ts';
import { asSkillError } from '../../web/agents/skills/run-skill.ts';
import { transferring } from '../../web/agents/skills/transfer-input.ts';
import type { SkillWorkerApi, SkillWorkerInit } from './worker-protocol.ts';

export interface WorkerSlotOptions {
  init: SkillWorkerInit;
  env: Record<string, string | undefined>;
  /** V8 old-generation limit per worker, MiB. */
  memoryLimitMb: number;
  /** How long a cancelled call may keep running before its worker is replaced, ms. */
  cancelGraceMs: number;
}

interface Live {
  worker: Worker;
  remote: Comlink.Remote<SkillWorkerApi>;
  ready: Promise<Skill[]>;
  /** Calls in flight on this worker: how to fail each if the worker dies. */
  pending: Map<number, (err: SkillError) => void>;
  /** Cancelled calls the worker has not finished yet. */
  cancelling: Set<number>;
}

/** Thrown when a worker cannot load its skills (bad module, unknown built-in). */
export class SkillLoadError extends Error {
  override name = 'SkillLoadError';
}

const WORKER_URL = new URL('./skill-worker.js', import.meta.url);
let nextCallId = 1;

/**
 * One worker thread running skills (plus, briefly, retired ones). A crash (uncaught error, exit,
 * out of memory) fails the calls in flight with `worker-crashed`; the next call starts a fresh
 * worker. A worker with a cancelled call still running takes no new calls: it is retired, ended
 * when its calls finish, or terminated after the grace period (a busy loop ignores signals).
 */
export class WorkerSlot {
  private live: Live | undefined;
  private readonly retired = new Set<Live>();

  constructor(private readonly opts: WorkerSlotOptions) {}

  get inFlight(): number {
    let n = this.live?.pending.size ?? 0;
    for (const r of this.retired) n += r.pending.size;
    return n;
  }

  /** Starts the worker if needed; resolves with its skills or rejects with `SkillLoadError`. */
  start(): Promise<Skill[]> {
    return this.ensureLive().ready;
  }

  /** Runs a skill in this worker; see AgentHost.run. */
  async run(skill: string, input: unknown, ctx: { signal: AbortSignal; onChunk?: (data: unknown) => void }): Promise<unknown> {
    if (ctx.signal.aborted) throw asSkillError(skill, ctx.signal.reason, ctx.signal);
    const live = this.ensureLive();
    try {
      await live.ready;
    } catch (err) {
      throw new SkillError('worker-crashed', `${skill}: skill worker failed to start: ${(err as Error).message}`);
    }
    const callId = nextCallId++;
    return new Promise<unknown>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        ctx.signal.removeEventListener('abort', onAbort);
        fn();
      };
      const onAbort = () => {
        settle(() => reject(asSkillError(skill, ctx.signal.reason, ctx.signal)));
        live.cancelling.add(callId);
        live.remote.cancel(callId, reasonMessage(ctx.signal.reason)).catch(() => undefined);
        const grace = setTimeout(() => {
          if (live.cancelling.has(callId)) this.crash(live, `a cancelled "${skill}" call did not stop within ${this.opts.cancelGraceMs} ms`);
        }, this.opts.cancelGraceMs);
        grace.unref();
      };
      live.pending.set(callId, (err) => settle(() => reject(err)));
      ctx.signal.addEventListener('abort', onAbort, { once: true });
      const chunkSink = ctx.onChunk && Comlink.proxy(async (chunk: unknown) => void (settled || ctx.onChunk!(chunk)));
      live.remote.run(callId, skill, transferring(input), chunkSink).then(
        (outcome) => settle(() => (outcome.ok ? resolve(outcome.output) : reject(new SkillError(outcome.code, outcome.message)))),
        (err: unknown) => settle(() => reject(new SkillError('worker-crashed', `${skill}: ${(err as Error).message}`))),
      ).finally(() => this.finished(live, callId));
    });
  }

  /** Stops the workers; calls in flight fail with `host-closed`. */
  async close(): Promise<void> {
    const all = [...this.retired, ...(this.live ? [this.live] : [])];
    await Promise.all(all.map((live) => this.end(live, new SkillError('host-closed', 'the agent host is shutting down'))));
  }

  private finished(live: Live, callId: number): void {
    live.pending.delete(callId);
    live.cancelling.delete(callId);
    if (this.retired.has(live) && live.pending.size === 0) void this.end(live);
  }

  private ensureLive(): Live {
    if (this.live?.cancelling.size) {
      this.retired.add(this.live);
      const old = this.live;
      this.live = undefined;
      if (old.pending.size === 0) void this.end(old);
    }
    if (this.live) return this.live;
    const worker = new Worker(WORKER_URL, {
      workerData: this.opts.init,
      env: this.opts.env,
      resourceLimits: { maxOldGenerationSizeMb: this.opts.memoryLimitMb },
    });
    const remote = Comlink.wrap<SkillWorkerApi>(nodeEndpoint(worker));
    let exitReason: string | undefined;
    worker.on('error', (err) => (exitReason = errorText(err)));
    // A worker that dies before answering `describe` must not leave `ready` pending forever.
    const exited = new Promise<never>((_, reject) => {
      worker.once('exit', (code) => {
        const reason = exitReason ?? `skill worker exited with code ${code}`;
        reject(new SkillLoadError(reason));
        this.crash(live, reason);
      });
    });
    const described = remote.describe().then((d) => {
      if (!d.ok) throw new SkillLoadError(d.message);
      return d.skills;
    });
    const live: Live = { worker, remote, ready: Promise.race([described, exited]), pending: new Map(), cancelling: new Set() };
    // Failures surface through start()/run(); these handlers only keep them from being "unhandled".
    live.ready.catch(() => undefined);
    described.catch(() => undefined);
    this.live = live;
    return live;
  }

  private crash(live: Live, reason: string): void {
    void this.end(live, new SkillError('worker-crashed', `skill worker crashed: ${reason}`));
  }

  /** Detaches and terminates a worker, failing its calls in flight with `err`. */
  private async end(live: Live, err?: SkillError): Promise<void> {
    if (this.live === live) this.live = undefined;
    this.retired.delete(live);
    const rejects = [...live.pending.values()];
    live.pending.clear();
    live.cancelling.clear();
    for (const reject of rejects) reject(err ?? new SkillError('worker-crashed', 'skill worker ended'));
    await live.worker.terminate();
  }
}

function errorText(err: Error): string {
  const code = (err as { code?: string }).code;
  return code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'out of memory' : err.message;
}

function reasonMessage(reason: unknown): string | undefined {
  return reason instanceof Error ? reason.message : typeof reason === 'string' ? reason : undefined;
}
