import type { AgentRegistration, AgentView, PeerSummary } from '../../server/protocol.ts';
import { ApiError, requestJson } from '../../web/hub/session/http.ts';

/** The control-plane routes a Node peer uses, authenticated with the peer's JWT. */
export interface ControlPlaneClient {
  registerAgent(reg: AgentRegistration): Promise<AgentView>;
  deleteAgent(id: string): Promise<void>;
  /** An active agent offering `skill` (least loaded), or undefined when none does. */
  route(skill: string): Promise<AgentView | undefined>;
  agents(): Promise<AgentView[]>;
  peers(): Promise<PeerSummary[]>;
}

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
    peers: async () => (await call<{ peers: PeerSummary[] }>('/peers')).peers,
  };
}
