import type { AgentRegistration, AgentView, PeerSummary } from '../../protocol/index.ts';
import { ApiError, requestJson } from '../../protocol/api-client.ts';

/** The control-plane routes a Node peer uses, authenticated with the peer's JWT. */
export interface ControlPlaneClient {
  registerAgent(reg: AgentRegistration): Promise<AgentView>;
  deleteAgent(id: string): Promise<void>;
  /** An active agent offering `skill` (least loaded), or undefined when none does. */
  route(skill: string): Promise<AgentView | undefined>;
  agents(): Promise<AgentView[]>;
  peers(): Promise<PeerSummary[]>;
}

const MAX_PEER_PAGES = 100;

/** HTTP client for /api/agents, /api/route and /api/peers on `url`. */
export function createControlPlaneClient(url: string, getToken: () => Promise<string>): ControlPlaneClient {
  const call = async <T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> =>
    requestJson<T>(`${url}/api${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${await getToken()}` } });
  return {
    registerAgent: async (reg) => (await call<{ agent: AgentView }>('/agents', { method: 'POST', json: reg })).agent,
    deleteAgent: async (id) => void (await call(`/agents/${encodeURIComponent(id)}`, { method: 'DELETE' })),
    async route(skill) {
      try {
        return (await call<{ agent: AgentView }>(`/route?skill=${encodeURIComponent(skill)}`)).agent;
      } catch (err) {
        if (err instanceof ApiError && err.code === 'no-agent') return undefined;
        throw err;
      }
    },
    agents: async () => (await call<{ agents: AgentView[] }>('/agents')).agents,
    async peers() {
      // Every page (the route gives at most 1000 at a time), bounded so a mesh that keeps changing cannot keep us walking.
      const all: PeerSummary[] = [];
      let after: string | undefined;
      for (let page = 0; page < MAX_PEER_PAGES; page++) {
        const r = await call<{ peers: PeerSummary[]; next?: string }>(`/peers?limit=1000${after ? `&after=${encodeURIComponent(after)}` : ''}`);
        all.push(...r.peers);
        if (!r.next) break;
        after = r.next;
      }
      return all;
    },
  };
}
