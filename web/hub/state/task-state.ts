import { signal } from '@preact/signals';
import type { AgentView, Task, Tier } from '../../../protocol/index.ts';
import type { TabmeshPeer } from '../../lib/index.ts';
import type { AuthedFetch } from '../../lib/authed-api.ts';
import { ApiError } from '../../../protocol/api-client.ts';
import { links } from './mesh-state.ts';

/** A task this tab started on some agent, with its streamed chunks and result. */
export interface LocalCall {
  id: string;
  skill: string;
  target: string;
  /** The tier the call took (`local` for this tab's own agents, `queue` for the server's task queue); known once it finished. */
  via?: Tier | 'local' | 'queue';
  state: 'running' | 'completed' | 'failed';
  chunks: unknown[];
  output?: unknown;
  error?: string;
  startedAt: number;
  durationMs?: number;
}

/** Calls `skill` on `peerId` over the mesh (any tier); `onChunk` gets streamed chunks. */
export type CallTransport = (peerId: string, skill: string, input: unknown, onChunk: (chunk: unknown) => void) => Promise<{ output: unknown; tier: Tier | 'local' }>;

export const localCalls = signal<LocalCall[]>([]);

function patch(id: string, p: Partial<LocalCall>): void {
  localCalls.value = localCalls.value.map((c) => (c.id === id ? { ...c, ...p } : c));
}

/** The named agent, else an active agent with the skill this tab has an open link to, else any active one. */
export function chooseTarget(skill: string, agentId: string | undefined, agents: AgentView[], self: string): AgentView | undefined {
  if (agentId) return agents.find((a) => a.id === agentId);
  const candidates = agents.filter((a) => a.health === 'active' && a.peerId !== self && a.skills.some((s) => s.name === skill));
  return candidates.find((a) => links.value.get(a.peerId)?.state === 'open') ?? candidates[0];
}

/** The server's pick (`GET /api/route`: least loaded active agent with the skill), or undefined. */
async function routeBySkill(api: AuthedFetch, skill: string): Promise<AgentView | undefined> {
  try {
    return (await api<{ agent: AgentView }>(`/api/route?skill=${encodeURIComponent(skill)}`)).agent;
  } catch (err) {
    if (err instanceof ApiError && err.code === 'no-agent') return undefined;
    throw err;
  }
}

/**
 * Submits through the server's task queue (`POST /api/tasks`) and waits for the `task-updated`
 * push; the agent's peer runs it and PATCHes the result. Subscribes before submitting, since
 * the push can beat the POST's response.
 */
async function submitViaQueue(id: string, opts: { skill: string; input: unknown; target: AgentView | undefined }, deps: { api: AuthedFetch; mesh: Pick<TabmeshPeer, 'on'> }): Promise<Task> {
  let settle!: (t: Task) => void;
  const pushed = new Promise<Task>((resolve) => (settle = resolve));
  const off = deps.mesh.on('task-updated', (t) => t.requestId === id && settle(t));
  try {
    const { task } = await deps.api<{ task: Task }>('/api/tasks', {
      method: 'POST', json: { skill: opts.skill, input: opts.input, requestId: id, ...(opts.target ? { to: opts.target.id } : {}) },
    });
    patch(id, { target: task.agentId ?? task.targetPeer ?? '(waiting for an agent)' });
    if (task.state !== 'pending' && task.state !== 'assigned') return task;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The server pushes `expired` at the TTL; the grace covers a push lost with the socket.
    const expired = new Promise<Task>((resolve) => (timer = setTimeout(() => resolve({ ...task, state: 'expired' }), task.expiresAt - task.updatedAt + 15_000)));
    return await Promise.race([pushed, expired]).finally(() => clearTimeout(timer));
  } finally {
    off();
  }
}

/**
 * Runs a task through the mesh: on the given agent, or the best-linked one, or the one the
 * server routes to. The mesh picks the tier (DataChannel, else the server relay); chunks stream
 * into the call's entry.
 */
export async function submitTask(
  opts: { skill: string; input: unknown; target: AgentView | undefined; viaQueue?: boolean },
  deps: { call: CallTransport; api: AuthedFetch; mesh: Pick<TabmeshPeer, 'on'> },
): Promise<void> {
  const id = `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const startedAt = performance.now();
  localCalls.value = [{ id, skill: opts.skill, target: opts.target?.id ?? '(routing…)', state: 'running' as const, chunks: [], startedAt }, ...localCalls.value].slice(0, 50);
  try {
    if (opts.viaQueue) {
      const t = await submitViaQueue(id, opts, deps);
      const durationMs = performance.now() - startedAt;
      if (t.state === 'completed') return patch(id, { state: 'completed', output: t.output, via: 'queue', durationMs });
      const error = t.error ? `${t.error.code}: ${t.error.message}` : `task ${t.state}`;
      return patch(id, { state: 'failed', error, via: 'queue', durationMs });
    }
    const target = opts.target ?? (await routeBySkill(deps.api, opts.skill));
    if (!target) throw new Error(`no active agent offers "${opts.skill}"`);
    patch(id, { target: target.id });
    const { output, tier } = await deps.call(target.peerId, opts.skill, opts.input, (chunk) => {
      const cur = localCalls.value.find((c) => c.id === id);
      patch(id, { chunks: [...(cur?.chunks ?? []), chunk] });
    });
    patch(id, { state: 'completed', output, via: tier, durationMs: performance.now() - startedAt });
  } catch (err) {
    patch(id, { state: 'failed', error: (err as Error).message, durationMs: performance.now() - startedAt });
  }
}
