import { signal } from '@preact/signals';
import type { AgentTransport, WorkerChannelAdopter } from '../../agents/browser/worker-channel-adopter.ts';
import type { WorkerAgentHost } from '../../agents/browser/worker-agent-host.ts';

/** How peers' calls reach one of this tab's agents, and how many came each way. */
export interface AgentTransportView {
  agent: string;
  /** `datachannel`: its Worker serves its own DataChannels; `bridge`: via the main thread; `pending`: no link yet. */
  transport: AgentTransport;
  reason?: string;
  /** Agent channels its Worker serves now. */
  channels: number;
  /** Calls its Worker served on agent channels. */
  channelRuns: number;
  /** Calls that came through the main thread's MessagePort bridge (peers, server tasks, this tab). */
  bridgeRuns: number;
}

/** This tab's agents by name. */
export const agentTransports = signal<Map<string, AgentTransportView>>(new Map());

/** Mirrors the agents' transports and counters into `agentTransports` now and every `intervalMs` (2000). */
export function trackAgentTransports(host: WorkerAgentHost, adopter: WorkerChannelAdopter, intervalMs = 2000): { refresh(): void; stop(): void } {
  let last = '';
  let stopped = false;
  async function refresh(): Promise<void> {
    const stats = await Promise.all(host.workers.map((w) => w.api.channelStats().catch(() => ({ open: 0, adopted: 0, runs: 0 }))));
    if (stopped) return;
    const views = adopter.transports().map((t, i): AgentTransportView => ({
      ...t, channels: stats[i]!.open, channelRuns: stats[i]!.runs, bridgeRuns: host.workers[i]!.bridgeRuns,
    }));
    const key = JSON.stringify(views);
    if (key === last) return;
    last = key;
    agentTransports.value = new Map(views.map((v) => [v.agent, v]));
  }
  const timer = setInterval(() => void refresh(), intervalMs);
  void refresh();
  return {
    refresh: () => void refresh(),
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
