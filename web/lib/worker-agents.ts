import { createWorkerAgentHost, type WorkerAgentHost } from '../agents/browser/worker-agent-host.ts';
import { createWorkerChannelAdopter, type WorkerChannelAdopter } from '../agents/browser/worker-channel-adopter.ts';

/**
 * The page's skills modules, each in a Worker of its own (agent-worker.ts), with the adopter that
 * hands them DataChannels where the browser can transfer them (else the MessagePort bridge).
 * A module of its own so the library can load it on demand.
 */
export async function startWorkerAgents(modules: Array<{ name: string; url: string }>): Promise<{ host: WorkerAgentHost; adopter: WorkerChannelAdopter }> {
  const host = await createWorkerAgentHost({ agents: [], modules });
  return { host, adopter: createWorkerChannelAdopter(host.workers) };
}
