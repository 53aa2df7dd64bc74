import { signal } from '@preact/signals';
import type { TabmeshPeer, WorkerAgentView } from '../../lib/index.ts';

/** How peers' calls reach one of this tab's agents, and how many came each way. */
export type AgentTransportView = WorkerAgentView;

/** This tab's agents by name. */
export const agentTransports = signal<Map<string, AgentTransportView>>(new Map());

/**
 * Mirrors the peer's Worker agents (transports and counters) into `agentTransports` now, on every
 * transport change and every `intervalMs` (2000; the counters are not events).
 */
export function trackAgentTransports(peer: Pick<TabmeshPeer, 'workerAgents' | 'on'>, intervalMs = 2000): { stop(): void } {
  let last = '';
  let stopped = false;
  const show = (views: WorkerAgentView[]) => {
    const key = JSON.stringify(views);
    if (stopped || key === last) return;
    last = key;
    agentTransports.value = new Map(views.map((v) => [v.agent, v]));
  };
  const refresh = () => void peer.workerAgents().then(show, () => undefined);
  const off = peer.on('worker-agents', show);
  const timer = setInterval(refresh, intervalMs);
  refresh();
  return {
    stop() {
      stopped = true;
      off();
      clearInterval(timer);
    },
  };
}
