import type { AgentInfo } from '../../../protocol/index.ts';
import { serveAgentChannel, type AgentChannelServer, type AgentHost, clockOf } from '../../mesh/agents.ts';
import type { AgentChannelHandoff, AgentChannelStats } from './worker-api.ts';

/**
 * Inside an agent's Worker: takes the DataChannels the tab transfers here and serves each with the
 * mesh core's `serveAgentChannel` (framing, validation, the responder router), so calls on them
 * never touch the tab's main thread. The tab verified the peer on the link's main channel before
 * it opened the channel; `release` comes when that link goes away.
 */
export interface WorkerChannelHost {
  stats(): AgentChannelStats;
}

/** Listens on the Worker's global scope; `agent()` is undefined until the agent is initialised. */
export function hostAgentChannels(scope: Pick<EventTarget, 'addEventListener'>, agent: () => { info: AgentInfo; host: AgentHost } | undefined): WorkerChannelHost {
  const clock = clockOf({ now: Date.now });
  const servers = new Map<AgentChannelServer, string>();
  let adopted = 0;
  let closedRuns = 0;

  scope.addEventListener('message', (ev) => {
    const data = (ev as MessageEvent).data as Partial<AgentChannelHandoff> | null;
    if (data?.tabmesh === 'agent-channel-release') {
      for (const [server, peerId] of servers) if (peerId === data.peerId) server.close();
      return;
    }
    if (data?.tabmesh !== 'agent-channel' || !data.channel) return;
    const { channel, peerId, localId } = data as Extract<AgentChannelHandoff, { tabmesh: 'agent-channel' }>;
    adopted++;
    const a = agent();
    if (!a) return channel.close();
    const server: AgentChannelServer = serveAgentChannel({
      channel, peerId, localId, agent: a.info, host: a.host, clock,
      onClose: () => {
        if (servers.delete(server)) closedRuns += server.runs;
      },
    });
    servers.set(server, peerId);
  });

  return {
    stats() {
      let runs = closedRuns;
      for (const server of servers.keys()) runs += server.runs;
      return { open: servers.size, adopted, runs };
    },
  };
}
