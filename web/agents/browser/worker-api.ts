import type { Skill } from '../../../protocol/index.ts';
import type { SkillRunOutcome } from '../skills/run-skill.ts';

/** A run's outcome as plain data: errors cross the worker boundary as code + message only. */
export type WorkerRunResult = SkillRunOutcome;

/** A snapshot of the hosting page, taken on the main thread (workers cannot see the DOM). */
export interface PageInfo {
  title: string;
  url: string;
  language: string;
  userAgent: string;
  visibility: string;
  online: boolean;
  screen: { width: number; height: number; pixelRatio: number };
  viewport: { width: number; height: number };
  hardwareConcurrency: number;
  uptimeMs: number;
}

/** Main-thread services a worker may call back into (passed with `Comlink.proxy`). */
export interface PageProbe {
  pageInfo(): PageInfo;
}

/**
 * Posted to an agent's Worker outside comlink (comlink ignores messages without its `type`): an
 * agent channel to serve, transferred in the task that created it, or the end of a peer's link.
 */
export type AgentChannelHandoff =
  | { tabmesh: 'agent-channel'; channel: RTCDataChannel; peerId: string; localId: string }
  | { tabmesh: 'agent-channel-release'; peerId: string };

/** What a Worker's agent channels have done so far. */
export interface AgentChannelStats {
  /** Channels being served now. */
  open: number;
  /** Channels received since the Worker started. */
  adopted: number;
  /** Skill runs (task-request, chat) served on them. */
  runs: number;
}

/** What each agent worker exposes over comlink. */
export interface AgentWorkerApi {
  /**
   * Selects the agent's skills; `env` configures them (e.g. the llm endpoint). Returns their
   * descriptions. With `moduleUrl` the skills are that module's exports (skillsFromModule), not a
   * built-in agent's.
   */
  init(agent: string, env: Record<string, string>, probe: PageProbe, moduleUrl?: string): Promise<Skill[]>;
  /**
   * Runs `skill`. Each streamed chunk is awaited on `onChunk` before the next, so chunks (sent on
   * the callback's own port) cannot overtake the result (sent on the worker's port).
   */
  run(runId: number, skill: string, input: unknown, onChunk?: (chunk: unknown) => void | Promise<void>): Promise<WorkerRunResult>;
  /** Aborts a run; its result then resolves with code `cancelled`. */
  cancel(runId: number, reason?: string): void;
  /** Counters of the agent channels this Worker serves itself. */
  channelStats(): AgentChannelStats;
}
