import type { AgentChannelAdopter } from '../../mesh/agents.ts';
import type { RunningAgent } from './worker-agent-host.ts';
import type { AgentChannelHandoff } from './worker-api.ts';

/**
 * Hands agent channels to the agents' Workers by transfer (`postMessage` with the channel in the
 * transfer list, in the task that created it: the only moment a browser allows it). Feature
 * detection is that attempt itself, no user-agent sniffing: Chromium ≥ 130 transfers to a
 * DedicatedWorker; a browser that cannot throws `DataCloneError`, the channel is closed, and from
 * then on no agent asks for a channel: every call reaches the agents over the MessagePort bridge.
 */
export type AgentTransport = 'pending' | 'datachannel' | 'bridge';

export interface WorkerChannelAdopter extends AgentChannelAdopter {
  /** How peers' calls reach each agent now; `reason` says why it is the bridge. */
  transports(): Array<{ agent: string; transport: AgentTransport; reason?: string }>;
}

/** Adopts for `workers`; `onChange` runs when an agent's transport changes. */
export function createWorkerChannelAdopter(workers: readonly RunningAgent[], onChange: () => void = () => undefined): WorkerChannelAdopter {
  const transport = new Map<string, AgentTransport>(workers.map((w) => [w.info.name, 'pending']));
  let unsupported: string | undefined;

  const post = (w: RunningAgent, msg: AgentChannelHandoff, transfer: Transferable[] = []) => w.worker.postMessage(msg, transfer);
  const set = (agent: string, t: AgentTransport) => {
    if (transport.get(agent) === t) return;
    transport.set(agent, t);
    onChange();
  };

  return {
    agents: () => (unsupported === undefined ? workers.map((w) => w.info.name) : []),
    adopt(channel, ctx) {
      const w = workers.find((x) => x.info.name === ctx.agent);
      if (!w || unsupported !== undefined) return false;
      try {
        post(w, { tabmesh: 'agent-channel', channel, peerId: ctx.peerId, localId: ctx.localId }, [channel as unknown as Transferable]);
      } catch (err) {
        if ((err as { name?: unknown } | null)?.name !== 'DataCloneError') throw err;
        unsupported = (err as Error).message;
        for (const other of workers) set(other.info.name, 'bridge');
        return false;
      }
      set(ctx.agent, 'datachannel');
      return true;
    },
    release(peerId) {
      if (unsupported !== undefined) return;
      for (const w of workers) post(w, { tabmesh: 'agent-channel-release', peerId });
    },
    transports: () =>
      workers.map((w) => {
        const t = transport.get(w.info.name)!;
        return { agent: w.info.name, transport: t, ...(t === 'bridge' && unsupported ? { reason: `DataChannel transfer unsupported: ${unsupported}` } : {}) };
      }),
  };
}
