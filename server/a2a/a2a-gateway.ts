import type { Role, Task, TaskState } from '../../protocol/index.ts';
import type { Registry } from '../registry/registry.ts';
import type { Store } from '../store/store.ts';
import type { TaskQueue } from '../tasks/task-queue.ts';
import { historyMessage, type A2ARecord } from './a2a-task-view.ts';
import { RpcCode, RpcError, type SendMessageParams } from './a2a-wire.ts';
import { skillRequestOf } from './skill-request.ts';
import type { TaskEvents } from './task-events.ts';

/** Who is calling (from the bearer credential). */
export interface A2ACaller {
  mesh: string;
  /** The submitter id recorded on the server task. */
  sub: string;
  role: Role;
}

export interface A2AGatewayDeps {
  tasks: TaskQueue;
  registry: Registry;
  store: Store;
  events: TaskEvents;
  isConnected(mesh: string, peerId: string): boolean;
  /** How often a waiting request re-reads its task (transitions on other instances) and checks its agent, ms (default 1000). */
  checkEveryMs?: number;
  /** Consecutive checks the assigned agent may be disconnected (reconnecting) before the task fails `peer-gone` (default 3). */
  goneAfterChecks?: number;
}

export interface A2AGateway {
  /** Starts the skill a message names; the task may still be open. `agent` pins the call to that agent (per-agent endpoints). */
  send(caller: A2ACaller, params: SendMessageParams, agent?: string): Promise<{ task: Task; record: A2ARecord }>;
  /** Resolves with the task once it is completed, failed or expired; `onChange` sees every state on the way. */
  settle(mesh: string, task: Task, onChange?: (task: Task) => void, signal?: AbortSignal): Promise<Task>;
  get(caller: A2ACaller, id: string): Promise<{ task: Task; record: A2ARecord | undefined }>;
  cancel(caller: A2ACaller, id: string): Promise<{ task: Task; record: A2ARecord | undefined }>;
}

const OPEN: readonly TaskState[] = ['pending', 'assigned'];
const rank = (s: TaskState) => (s === 'pending' ? 0 : s === 'assigned' ? 1 : 2);
const recordsNs = (mesh: string) => `a2a-tasks:${mesh}`;
const RETENTION_MS = 3_600_000;

/** Runs A2A messages as server tasks (pushed to the target peer over its socket) and tracks them. */
export function createA2AGateway(deps: A2AGatewayDeps): A2AGateway {
  const { tasks, store } = deps;
  const checkEveryMs = deps.checkEveryMs ?? 1000;
  const goneAfter = deps.goneAfterChecks ?? 3;

  const find = async (caller: A2ACaller, id: string) => {
    const task = await tasks.get(caller.mesh, id);
    if (!task) throw new RpcError(RpcCode.taskNotFound, `no task "${id}" in this mesh`);
    return { task, record: await store.get<A2ARecord>(recordsNs(caller.mesh), id) };
  };

  return {
    async send(caller, params, agent) {
      const request = skillRequestOf(params);
      const to = agent ?? request.agent;
      const requestId = `a2a-${crypto.randomUUID()}`;
      const { task: submitted } = await tasks.submit(caller.mesh, caller.sub, {
        skill: request.skill, input: request.input, requestId,
        ...(to ? { to } : {}), ...(request.ttlSeconds ? { ttlSeconds: request.ttlSeconds } : {}),
      });
      const contextId = params.message.contextId || crypto.randomUUID();
      const record: A2ARecord = { taskId: submitted.id, contextId, message: historyMessage(params.message, submitted.id, contextId) };
      await store.put(recordsNs(caller.mesh), submitted.id, record, submitted.expiresAt - submitted.createdAt + RETENTION_MS);
      let task = submitted;
      // The queue would keep it pending until an agent appears; an A2A caller gets the answer now.
      if (task.state === 'pending') {
        const who = to ? `agent "${to}" (connected, with skill "${request.skill}")` : `active agent offers skill "${request.skill}"`;
        task = (await tasks.abandon(caller.mesh, task.id, { code: 'no-agent', message: `no ${who}` })) ?? (await tasks.get(caller.mesh, task.id)) ?? task;
      }
      return { task, record };
    },

    settle(mesh, initial, onChange, signal) {
      return new Promise<Task>((resolve, reject) => {
        let last = initial;
        let goneChecks = 0;
        const finish = (task: Task) => {
          stop();
          resolve(task);
        };
        // States only move forward (pending, assigned, then one final state): later reads of an older state are ignored.
        const seen = (task: Task) => {
          if (rank(task.state) <= rank(last.state)) return;
          last = task;
          onChange?.(task);
          if (!OPEN.includes(task.state)) finish(task);
        };
        const unwatch = deps.events.watch(initial.id, seen);
        const timer = setInterval(() => void check().catch(() => undefined), checkEveryMs);
        const onAbort = () => (stop(), reject(signal!.reason));
        signal?.addEventListener('abort', onAbort, { once: true });
        function stop() {
          unwatch();
          clearInterval(timer);
          signal?.removeEventListener('abort', onAbort);
        }
        // A transition on another instance is not seen here; the store is, and so is a vanished agent.
        async function check() {
          const task = await tasks.get(mesh, initial.id);
          if (!task) return finish({ ...last, state: 'expired' });
          seen(task);
          if (!OPEN.includes(task.state)) return;
          if (Date.now() >= task.expiresAt) {
            const ended = await tasks.abandon(mesh, task.id, { code: 'timeout', message: `no result within the task's ${Math.round((task.expiresAt - task.createdAt) / 1000)} s` });
            if (ended) seen(ended);
            return;
          }
          if (task.state !== 'assigned' || !task.targetPeer) return;
          goneChecks = deps.isConnected(mesh, task.targetPeer) ? 0 : goneChecks + 1;
          if (goneChecks >= goneAfter) {
            const ended = await tasks.abandon(mesh, task.id, { code: 'peer-gone', message: `agent ${task.agentId ?? task.targetPeer} left the mesh before answering` });
            if (ended) seen(ended);
          }
        }
        if (!OPEN.includes(initial.state)) finish(initial);
        else void check().catch(() => undefined);
      });
    },

    get: find,

    async cancel(caller, id) {
      const { task, record } = await find(caller, id);
      if (task.submitter !== caller.sub && caller.role !== 'admin') {
        throw new RpcError(RpcCode.taskNotCancelable, `task "${id}" was sent by another caller; only it or an admin may cancel it`);
      }
      if (!OPEN.includes(task.state)) throw new RpcError(RpcCode.taskNotCancelable, `task "${id}" is already ${task.state}`);
      const canceled: A2ARecord = { ...(record ?? { taskId: id, contextId: id, message: { messageId: id, role: 'ROLE_USER', parts: [] } }), canceled: true };
      // Marked before the server task ends, so a concurrent GetTask never shows a plain failure.
      await store.put(recordsNs(caller.mesh), id, canceled, task.expiresAt - task.createdAt + RETENTION_MS);
      const ended = await tasks.abandon(caller.mesh, id, { code: 'canceled', message: 'canceled by the caller' });
      if (!ended) {
        if (record) await store.put(recordsNs(caller.mesh), id, record, task.expiresAt - task.createdAt + RETENTION_MS);
        else await store.delete(recordsNs(caller.mesh), id);
        const now = await find(caller, id);
        throw new RpcError(RpcCode.taskNotCancelable, `task "${id}" is already ${now.task.state}`);
      }
      return { task: ended, record: canceled };
    },
  };
}
