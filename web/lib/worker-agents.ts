import { createWorkerAgentHost, type WorkerAgentHost } from '../agents/browser/worker-agent-host.ts';
import { createWorkerChannelAdopter, type AgentTransport, type WorkerChannelAdopter } from '../agents/browser/worker-channel-adopter.ts';
import { optionError } from './option-errors.ts';

/** tabmesh's own Worker agents a page can host: `basic` (echo, time, chat) and `page` (page-info). */
export type BuiltinAgent = 'basic' | 'page';

/** How peers' calls reach one of this page's Worker agents, and how many came each way. */
export interface WorkerAgentView {
  agent: string;
  /** `datachannel`: its Worker serves DataChannels of its own; `bridge`: via the page's main thread; `pending`: no link yet. */
  transport: AgentTransport;
  /** Why it is the bridge (the browser cannot transfer a DataChannel to a Worker). */
  reason?: string;
  /** Agent channels its Worker serves now. */
  channels: number;
  /** Calls its Worker served on its own DataChannels. */
  channelRuns: number;
  /** Calls that came through the main thread's MessagePort bridge (peers, server tasks, this page). */
  bridgeRuns: number;
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/**
 * The page's Worker agents (`workers` modules and `builtinAgents`), each in a Worker of its own
 * (agent-worker.ts), with the adopter that hands them DataChannels where the browser can transfer
 * them (else the MessagePort bridge). Checks the options first (a TypeError naming the option).
 * A module of its own so the library can load it on demand.
 */
export async function startWorkerAgents(
  o: { workers?: Array<{ name: string; url: string | URL }>; builtinAgents?: BuiltinAgent[] },
  base: string,
  onTransportChange: () => void = () => undefined,
): Promise<{ host: WorkerAgentHost; adopter: WorkerChannelAdopter; views(): Promise<WorkerAgentView[]> }> {
  const builtins = o.builtinAgents ?? [];
  for (const b of builtins) if (b !== 'basic' && b !== 'page') throw optionError('builtinAgents', b);
  const modules = (o.workers ?? []).map((w, i) => {
    if (!NAME.test(w?.name ?? '')) throw optionError('workerName', i);
    return { name: w.name, url: new URL(w.url, globalThis.location?.href ?? base).href };
  });
  const host = await createWorkerAgentHost({ agents: builtins, modules });
  const adopter = createWorkerChannelAdopter(host.workers, onTransportChange);
  return {
    host,
    adopter,
    async views() {
      const stats = await Promise.all(host.workers.map((w) => w.api.channelStats().catch(() => ({ open: 0, adopted: 0, runs: 0 }))));
      return adopter.transports().map((t, i) => ({ ...t, channels: stats[i]!.open, channelRuns: stats[i]!.runs, bridgeRuns: host.workers[i]!.bridgeRuns }));
    },
  };
}
