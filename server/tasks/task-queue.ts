import { HttpError } from '../http/http-error.ts';
import { createBackoff } from '../../protocol/backoff.ts';
import type { AgentView, ServerFrame, Task, TaskState, TaskSubmit, TaskUpdate } from '../../protocol/index.ts';
import type { Registry } from '../registry/registry.ts';
import type { Store } from '../store/store.ts';

export interface TaskLimits {
  /** Max JSON size of a task input, bytes (default 256 KiB). */
  maxInputBytes: number;
  /** Max JSON size of a result (output or error), bytes (default 1 MiB). */
  maxOutputBytes: number;
  /** Max pending+assigned tasks one peer may have submitted (default 100). */
  maxOpenPerPeer: number;
  /** Default task TTL, seconds (300). */
  defaultTtlSeconds: number;
  /** How long finished tasks stay listable, ms (1 h). */
  retentionMs: number;
}

export const DEFAULT_TASK_LIMITS: TaskLimits = {
  maxInputBytes: 256 * 1024, maxOutputBytes: 1024 * 1024, maxOpenPerPeer: 100, defaultTtlSeconds: 300, retentionMs: 3_600_000,
};

export interface TaskQueueOptions {
  store: Store;
  registry: Registry;
  now: () => number;
  /** Delivers a frame to a peer's signaling socket (on whichever instance holds it). */
  push: (mesh: string, peerId: string, frame: ServerFrame) => void;
  /** Whether the peer has a live signaling socket; assignment prefers connected agents. */
  isConnected?: (mesh: string, peerId: string) => boolean;
  /** Every stored transition, with the task as it is now (the A2A gateway waits on these). */
  onTransition?: (state: TaskState, task: Task) => void;
  limits?: Partial<TaskLimits>;
}

export interface TaskFilter {
  state?: TaskState;
  agent?: string;
  skill?: string;
}

export interface TaskQueue {
  /** Creates (or, for a repeated requestId, returns) a task; `created` false on a replay. */
  submit(mesh: string, submitter: string, body: TaskSubmit): Promise<{ task: Task; created: boolean }>;
  get(mesh: string, id: string): Promise<Task | undefined>;
  list(mesh: string, filter?: TaskFilter): Promise<Task[]>;
  /** Completes or fails an assigned task; only the assigned peer may. */
  update(mesh: string, id: string, peerId: string, body: TaskUpdate): Promise<Task>;
  /**
   * Fails an open task on the server's own authority (its submitter cancelled it, its agent left):
   * the agent's late result is then refused as `task-finished`. Undefined when it had finished.
   */
  abandon(mesh: string, id: string, error: { code: string; message: string }): Promise<Task | undefined>;
  /** Expires overdue tasks, assigns pending ones that now have an agent, re-pushes undelivered assignments. */
  sweep(meshes: string[]): Promise<void>;
  /** Claims the one delivery of `task`'s assignment to its agent's socket (false: delivered already); retries through store outages until the task is due. */
  claimDelivery(task: Task): Promise<boolean>;
  inFlight(mesh: string): Promise<Map<string, number>>;
}

const tasksNs = (mesh: string) => `tasks:${mesh}`;
const requestsNs = (mesh: string) => `task-req:${mesh}`;
const deliveredNs = (mesh: string) => `task-delivered:${mesh}`;
/**
 * Open (pending/assigned) tasks are mirrored here, so submit, routing and the sweep read the few
 * open tasks instead of the whole retained history (100,000 finished tasks made every submit
 * parse all of them). `tasks:` stays authoritative: a mirror left stale by a crash between the
 * two writes is corrected by the sweep, which also rebuilds the mirror from the full list now
 * and then (FULL_SWEEP_EVERY).
 */
const openNs = (mesh: string) => `tasks-open:${mesh}`;
const FULL_SWEEP_EVERY = 60;
const jsonBytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v) ?? '').byteLength;
const OPEN: TaskState[] = ['pending', 'assigned'];
const MAX_CLAIM_BACKOFF_MS = 2000;

/** The server-side task path: tier-3 delivery and the audit trail, pushed not polled. */
export function createTaskQueue(opts: TaskQueueOptions): TaskQueue {
  const { store, registry, now, push } = opts;
  const limits = { ...DEFAULT_TASK_LIMITS, ...opts.limits };
  const connected = (a: AgentView) => opts.isConnected?.(a.mesh, a.peerId) ?? true;

  const list: TaskQueue['list'] = async (mesh, f = {}) =>
    (await store.list<Task>(tasksNs(mesh)))
      .filter((t) => (!f.state || t.state === f.state) && (!f.agent || t.agentId === f.agent) && (!f.skill || t.skill === f.skill))
      .sort((a, b) => b.createdAt - a.createdAt);

  const openTasks = (mesh: string) => store.list<Task>(openNs(mesh));
  const retainFor = (t: Task) => t.expiresAt - now() + limits.retentionMs;
  const mirror = (t: Task) =>
    OPEN.includes(t.state) ? store.put(openNs(t.mesh), t.id, t, retainFor(t)) : store.delete(openNs(t.mesh), t.id).then(() => undefined);

  const inFlight: TaskQueue['inFlight'] = async (mesh) => {
    const counts = new Map<string, number>();
    for (const t of await openTasks(mesh)) if (t.state === 'assigned' && t.agentId) counts.set(t.agentId, (counts.get(t.agentId) ?? 0) + 1);
    return counts;
  };
  let sweeps = 0;

  /** Sets the mirror to the task as stored now (after a lost swap wrote the loser's state to it). */
  const remirror = async (mesh: string, id: string) => {
    const current = await store.get<Task>(tasksNs(mesh), id);
    await (current ? mirror(current) : store.delete(openNs(mesh), id));
  };

  /** Moves `from` to `next` only if nobody changed it meanwhile; the loser gets false. */
  const transition = async (from: Task, next: Task): Promise<boolean> => {
    // The mirror write goes out with the swap, not after it: the embedded store commits both in
    // one transaction (a lifecycle's commits were most of its cost). The transition stands even
    // if the mirror write fails (store hiccup); a lost or failed swap puts the mirror back; the
    // sweep repairs what either leaves stale.
    const mirrored = mirror(next).catch(() => undefined);
    const ok = await store.swap(tasksNs(from.mesh), from.id, from, next, retainFor(next)).catch(async (err: unknown) => {
      await mirrored;
      await remirror(from.mesh, from.id).catch(() => undefined);
      throw err;
    });
    await mirrored;
    if (!ok) await remirror(from.mesh, from.id).catch(() => undefined);
    if (ok) {
      opts.onTransition?.(next.state, next);
      if (next.state === 'assigned' && next.targetPeer) push(next.mesh, next.targetPeer, { type: 'task-assigned', payload: next });
      if (next.state !== 'assigned') push(next.mesh, next.submitter, { type: 'task-updated', payload: next });
    }
    return ok;
  };

  /**
   * The server ended a task its agent may still be running (cancelled, agent gone, expired):
   * `task-updated` to the assignee too, so its runner aborts the skill (its AbortSignal fires)
   * instead of working for a result that will be refused.
   */
  const tellAssignee = (from: Task, next: Task) => {
    if (from.state === 'assigned' && from.targetPeer && from.targetPeer !== next.submitter) push(next.mesh, from.targetPeer, { type: 'task-updated', payload: next });
  };

  const pickAgent = async (task: Task, to: string | undefined): Promise<AgentView | undefined> => {
    const flights = await inFlight(task.mesh);
    if (to === undefined) return registry.route(task.mesh, task.skill, flights, connected);
    const matches = (a: AgentView) => (to.includes(':') ? a.id === to : a.peerId === to) && connected(a);
    return registry.route(task.mesh, task.skill, flights, matches);
  };

  /**
   * The task that holds this task's request id. A submit stores its task before claiming the id,
   * so until the claim names it a pending task may be a losing retry about to be deleted: a sweep
   * must not assign it (that would run the request twice).
   */
  const requestOwner = (task: Task) => store.get<string>(requestsNs(task.mesh), `${task.submitter}:${task.requestId}`);

  const tryAssign = async (task: Task, to: string | undefined): Promise<Task> => {
    const agent = await pickAgent(task, to);
    if (!agent) return task;
    const next: Task = { ...task, state: 'assigned', agentId: agent.id, targetPeer: agent.peerId, updatedAt: now() };
    return (await transition(task, next)) ? next : ((await store.get<Task>(tasksNs(task.mesh), task.id)) ?? task);
  };

  return {
    list,
    inFlight,
    async claimDelivery(task) {
      // A unique value tells our own claim (answered late, or resent by the store client after a
      // drop) from another instance's. A failed attempt may still have written it, and then no
      // sweep would push the task again: so retry until the answer is certain or the task is due.
      const token = crypto.randomUUID();
      const ttl = Math.max(1000, task.expiresAt - now()) + limits.retentionMs;
      const backoff = createBackoff({ maxMs: MAX_CLAIM_BACKOFF_MS });
      for (;;) {
        try {
          if (await store.create(deliveredNs(task.mesh), task.id, token, ttl)) return true;
          return (await store.get<string>(deliveredNs(task.mesh), task.id)) === token;
        } catch (err) {
          if (now() >= task.expiresAt) throw err;
          await new Promise((r) => setTimeout(r, backoff.next()));
        }
      }
    },
    get: (mesh, id) => store.get<Task>(tasksNs(mesh), id),
    async submit(mesh, submitter, body) {
      const replayId = await store.get<string>(requestsNs(mesh), `${submitter}:${body.requestId}`);
      const replay = replayId && (await store.get<Task>(tasksNs(mesh), replayId));
      if (replay) return { task: replay, created: false };
      if (jsonBytes(body.input ?? null) > limits.maxInputBytes) {
        throw new HttpError(413, 'input-too-large', `input must be at most ${limits.maxInputBytes} bytes of JSON`);
      }
      if (body.to !== undefined && body.to.includes(':') && !(await registry.get(mesh, body.to))) {
        throw new HttpError(404, 'no-agent', `no agent "${body.to}" in this mesh`);
      }
      const open = (await openTasks(mesh)).filter((t) => t.submitter === submitter && OPEN.includes(t.state)).length;
      if (open >= limits.maxOpenPerPeer) {
        throw new HttpError(429, 'too-many-open-tasks', `at most ${limits.maxOpenPerPeer} open tasks per peer`);
      }
      const t = now();
      const ttlMs = (body.ttlSeconds ?? limits.defaultTtlSeconds) * 1000;
      const task: Task = {
        id: crypto.randomUUID(), mesh, requestId: body.requestId, skill: body.skill, input: body.input ?? null,
        submitter, state: 'pending', createdAt: t, updatedAt: t, expiresAt: t + ttlMs,
        ...(body.to && !body.to.includes(':') ? { targetPeer: body.to } : {}),
        ...(body.to?.includes(':') ? { agentId: body.to } : {}),
      };
      // Mirror, task, then the request-id claim, sent at once (one commit in the embedded store; in
      // this order on Redis's connection, so whoever sees the claim finds the task): a crash between
      // the writes leaves a mirror without a task (the sweep drops it), never an open task the
      // partial sweeps cannot see. The claim decides concurrent retries: the loser drops its task.
      const claimKey = `${submitter}:${body.requestId}`;
      const [written, claimed] = await Promise.allSettled([
        Promise.all([mirror(task), store.put(tasksNs(mesh), task.id, task, ttlMs + limits.retentionMs)]),
        store.create(requestsNs(mesh), claimKey, task.id, ttlMs + limits.retentionMs),
      ]);
      if (written.status === 'rejected') {
        // A claim must never name a task that was not stored (retries would get 409 until it expired).
        if (claimed.status === 'fulfilled' && claimed.value) await store.swap(requestsNs(mesh), claimKey, task.id, undefined).catch(() => undefined);
        throw written.reason;
      }
      if (claimed.status === 'rejected') throw claimed.reason;
      // A claim that reads as lost may be our own write answered late (a store client resends after a drop).
      const won = claimed.value || (await store.get<string>(requestsNs(mesh), claimKey)) === task.id;
      if (!won) {
        await store.delete(tasksNs(mesh), task.id);
        await store.delete(openNs(mesh), task.id);
        const winner = await store.get<string>(requestsNs(mesh), claimKey);
        const existing = winner && (await store.get<Task>(tasksNs(mesh), winner));
        if (existing) return { task: existing, created: false };
        throw new HttpError(409, 'conflict', 'a concurrent submit with this requestId is in progress; retry');
      }
      opts.onTransition?.('pending', task);
      return { task: await tryAssign(task, body.to), created: true };
    },
    async update(mesh, id, peerId, body) {
      const task = await store.get<Task>(tasksNs(mesh), id);
      if (!task) throw new HttpError(404, 'not-found', `no task "${id}"`);
      if (task.targetPeer !== peerId || task.state === 'pending') {
        throw new HttpError(403, 'not-assignee', 'only the assigned agent may update this task');
      }
      if (task.state !== 'assigned') throw new HttpError(409, 'task-finished', `task is already ${task.state}`);
      const result = body.state === 'completed' ? { output: body.output ?? null } : { error: body.error ?? { code: 'failed', message: 'task failed' } };
      if (jsonBytes(result) > limits.maxOutputBytes) {
        throw new HttpError(413, 'output-too-large', `result must be at most ${limits.maxOutputBytes} bytes of JSON`);
      }
      const next: Task = { ...task, ...result, state: body.state, updatedAt: now() };
      if (!(await transition(task, next))) throw new HttpError(409, 'conflict', 'task changed concurrently; reload it');
      return next;
    },
    async abandon(mesh, id, error) {
      for (;;) {
        const task = await store.get<Task>(tasksNs(mesh), id);
        if (!task || !OPEN.includes(task.state)) return undefined;
        const next: Task = { ...task, state: 'failed', error, updatedAt: now() };
        if (await transition(task, next)) return (tellAssignee(task, next), next);
      }
    },
    async sweep(meshes) {
      const full = sweeps++ % FULL_SWEEP_EVERY === 0;
      for (const mesh of meshes) {
        const mirrored = new Map((await openTasks(mesh)).map((t) => [t.id, t]));
        const candidates = new Map(mirrored);
        if (full) for (const t of await list(mesh)) if (OPEN.includes(t.state) && !candidates.has(t.id)) candidates.set(t.id, t);
        for (const seen of candidates.values()) {
          const task = await store.get<Task>(tasksNs(mesh), seen.id);
          if (!task || !OPEN.includes(task.state)) {
            await store.delete(openNs(mesh), seen.id);
            continue;
          }
          const copy = mirrored.get(task.id);
          if (!copy || JSON.stringify(copy) !== JSON.stringify(task)) await mirror(task);
          if (task.expiresAt <= now()) {
            const next: Task = { ...task, state: 'expired', updatedAt: now() };
            if (await transition(task, next)) tellAssignee(task, next);
          } else if (task.state === 'pending') {
            const owner = await requestOwner(task);
            if (owner === task.id) await tryAssign(task, task.agentId ?? task.targetPeer);
            // Left by a retry that lost the request id (or failed before it could delete it).
            else if (owner !== undefined && (await store.swap(tasksNs(mesh), task.id, task, undefined))) await store.delete(openNs(mesh), task.id);
          } else if (task.targetPeer && !(await store.get(deliveredNs(mesh), task.id))) {
            // The first push was lost (pub/sub during a store outage, agent between sockets).
            push(mesh, task.targetPeer, { type: 'task-assigned', payload: task });
          }
        }
      }
    },
  };
}
