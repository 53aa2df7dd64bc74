import { AgentInfoSchema, MeshMessageSchema, validate, type AgentInfo, type MeshMessage } from '../../../protocol/index.ts';
import { makeMessage } from '../calls/message-factory.ts';

/**
 * The wire rules of agent channels (docs/protocol.md "Agent channels"): the label that names the
 * agent a channel serves, and the announcement its host sends first on it.
 */

/** Labels of agent channels: this prefix plus the agent's name (1-64 chars, as in AgentInfo). */
export const AGENT_CHANNEL_PREFIX = 'tabmesh/agent/';

/** The label of the channel that serves `agent`. */
export const agentChannelLabel = (agent: string): string => AGENT_CHANNEL_PREFIX + agent;

/** The agent named by an agent-channel label; undefined for any other label. */
export function agentOfLabel(label: string): string | undefined {
  if (!label.startsWith(AGENT_CHANNEL_PREFIX)) return undefined;
  const name = label.slice(AGENT_CHANNEL_PREFIX.length);
  return validate(AgentInfoSchema.entries.name, name).ok && !/[\u0000-\u001f\u007f]/u.test(name) ? name : undefined;
}

/** The announcement: an unsolicited `skill-list` naming exactly the channel's agent. */
export function announcement(from: string, to: string, agent: AgentInfo): MeshMessage {
  return makeMessage(from, to, 'skill-list', { agents: [agent] });
}

/**
 * Checks the first message on an agent channel from `peerId` to `localId`: the announcement of
 * `agent`. Returns the skills it serves, or why the channel must be refused.
 */
export function readAnnouncement(raw: unknown, o: { peerId: string; localId: string; agent: string }): { ok: true; skills: string[] } | { ok: false; message: string } {
  const parsed = validate(MeshMessageSchema, raw);
  if (!parsed.ok) return { ok: false, message: `announcement ${parsed.message}` };
  const msg = parsed.value;
  if (msg.type !== 'skill-list' || msg.replyTo !== undefined) return { ok: false, message: `the first message must be an unsolicited skill-list, got ${msg.type}` };
  if (msg.from !== o.peerId || msg.to !== o.localId) return { ok: false, message: `announcement from/to must be "${o.peerId}"/"${o.localId}"` };
  const [only, ...rest] = msg.payload.agents;
  if (!only || rest.length || only.name !== o.agent) return { ok: false, message: `the announcement must list exactly the agent "${o.agent}"` };
  return { ok: true, skills: only.skills.map((s) => s.name) };
}
