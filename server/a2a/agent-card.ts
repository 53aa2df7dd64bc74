import type { AgentView, Skill } from '../../protocol/index.ts';
import { A2A_PROTOCOL_VERSION } from './a2a-wire.ts';

/** An A2A 1.0 AgentCard in its JSON form (the fields the gateway fills). */
export interface AgentCardJson {
  name: string;
  description: string;
  version: string;
  supportedInterfaces: Array<{ url: string; protocolBinding: 'JSONRPC'; protocolVersion: string }>;
  capabilities: { streaming: boolean; pushNotifications: boolean; extendedAgentCard: boolean };
  securitySchemes: Record<string, { httpAuthSecurityScheme: { scheme: string; bearerFormat?: string; description: string } }>;
  securityRequirements: Array<{ schemes: Record<string, { list?: string[] }> }>;
  defaultInputModes: string[];
  defaultOutputModes: string[];
  skills: Array<{ id: string; name: string; description: string; tags: string[]; examples?: string[] }>;
  documentationUrl?: string;
}

const MODES = ['text/plain', 'application/json'];
const BEARER = {
  bearer: {
    httpAuthSecurityScheme: {
      scheme: 'Bearer',
      description: 'A tabmesh JWT from POST /api/token, or an API key or device token (tmd_…) used directly as the bearer value',
    },
  },
};

function skillEntry(skill: Skill, agents: AgentView[]): AgentCardJson['skills'][number] {
  const example = JSON.stringify({ skill: skill.name, input: {} });
  return {
    id: skill.name,
    name: skill.name,
    description: `${skill.description ?? `the "${skill.name}" skill`}${skill.inputSchema ? ` Input (JSON schema): ${JSON.stringify(skill.inputSchema)}` : ''}`,
    tags: ['tabmesh', ...(skill.streaming ? ['streaming'] : []), ...agents.map((a) => `agent:${a.id}`).slice(0, 8)],
    examples: [skill.name === 'chat' ? 'a text part: "hello"' : `a data part: ${example}`],
  };
}

function card(o: { name: string; description: string; rpcUrl: string; version: string; skills: AgentCardJson['skills']; extended: boolean }): AgentCardJson {
  return {
    name: o.name,
    description: o.description,
    version: o.version,
    supportedInterfaces: [{ url: o.rpcUrl, protocolBinding: 'JSONRPC', protocolVersion: A2A_PROTOCOL_VERSION }],
    capabilities: { streaming: true, pushNotifications: false, extendedAgentCard: o.extended },
    securitySchemes: BEARER,
    securityRequirements: [{ schemes: { bearer: {} } }],
    defaultInputModes: MODES,
    defaultOutputModes: MODES,
    skills: o.skills,
  };
}

/**
 * The mesh's card. Without a credential (`agents` undefined) it names the interface and the
 * security scheme only: which skills (and so which machines) are in a mesh is for its members.
 */
export function meshCard(o: { baseUrl: string; version: string; mesh?: string; agents?: AgentView[] }): AgentCardJson {
  const bySkill = new Map<string, { skill: Skill; agents: AgentView[] }>();
  for (const agent of o.agents ?? []) {
    for (const skill of agent.skills) {
      const entry = bySkill.get(skill.name) ?? { skill, agents: [] };
      entry.agents.push(agent);
      bySkill.set(skill.name, entry);
    }
  }
  return card({
    name: o.mesh ? `tabmesh mesh "${o.mesh}"` : 'tabmesh mesh',
    description: 'Runs any skill the agents in this tabmesh mesh offer, on the best active agent. A text message goes to the "chat" skill; a data part {"skill", "input"} or message metadata {"skill", "input"} names another.'
      + (o.agents ? '' : ' Skills are listed for authenticated callers (send the bearer credential, or call GetExtendedAgentCard).'),
    rpcUrl: `${o.baseUrl}/a2a`,
    version: o.version,
    skills: [...bySkill.values()].sort((a, b) => a.skill.name.localeCompare(b.skill.name)).map((e) => skillEntry(e.skill, e.agents)),
    extended: !o.agents,
  });
}

/** One registered agent's card: its skills, and an interface that runs them on that agent only. */
export function agentCard(o: { baseUrl: string; version: string; agent: AgentView }): AgentCardJson {
  return card({
    name: o.agent.name,
    description: `tabmesh agent "${o.agent.name}" on peer ${o.agent.peerId} (${o.agent.platform}); health ${o.agent.health}.`,
    rpcUrl: `${o.baseUrl}/a2a/agents/${encodeURIComponent(o.agent.id)}`,
    version: o.version,
    skills: o.agent.skills.map((s) => skillEntry(s, [o.agent])),
    extended: false,
  });
}
