import { PEER_ID_PATTERN, SkillSchema, validate } from '../../protocol/index.ts';
import { RpcCode, RpcError, type SendMessageParams } from './a2a-wire.ts';

/** The skill a plain text message goes to (the hub's and the node's chat skill). */
export const CHAT_SKILL_NAME = 'chat';

/** What one A2A message asks the mesh to do. */
export interface SkillRequest {
  skill: string;
  input: unknown;
  /** An agent id (`peer:name`) from `metadata.agent`; omitted: the best agent for the skill. */
  agent?: string;
  /** Task lifetime from `metadata.timeoutSeconds` (default: the task queue's). */
  ttlSeconds?: number;
}

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/**
 * Maps a message to a skill call. In order: `metadata.skill` (message, then request) with
 * `metadata.input`, else the first data part's data; a data part `{ "skill", "input" }`; else the
 * text parts joined, sent to the `chat` skill as `{ text }`.
 */
export function skillRequestOf(params: SendMessageParams): SkillRequest {
  const meta = { ...params.metadata, ...params.message.metadata };
  const dataParts = params.message.parts.filter((p) => p.data !== undefined).map((p) => p.data);
  const textOf = params.message.parts.filter((p) => typeof p.text === 'string').map((p) => p.text).join('\n');
  const options = {
    ...(meta.agent === undefined ? {} : { agent: checkAgent(meta.agent) }),
    ...(meta.timeoutSeconds === undefined ? {} : { ttlSeconds: checkTimeout(meta.timeoutSeconds) }),
  };

  if (meta.skill !== undefined) {
    const skill = checkSkill(meta.skill, 'message.metadata.skill');
    const input = 'input' in meta ? meta.input : dataParts.length ? dataParts[0] : textOf ? { text: textOf } : undefined;
    return { skill, input, ...options };
  }
  const named = dataParts.find((d) => isRecord(d) && d.skill !== undefined);
  if (isRecord(named)) return { skill: checkSkill(named.skill, 'message.parts[].data.skill'), input: named.input, ...options };
  if (textOf) return { skill: CHAT_SKILL_NAME, input: { text: textOf }, ...options };
  throw new RpcError(RpcCode.invalidParams, 'message: name a skill (metadata.skill, or a data part {"skill", "input"}) or send a text part for the chat skill');
}

function checkSkill(raw: unknown, field: string): string {
  if (!validate(SkillSchema.entries.name, raw).ok) {
    throw new RpcError(RpcCode.invalidParams, `${field}: must be a skill name, 1-64 chars of lower-case a-z 0-9 _ . -`);
  }
  return raw as string;
}

function checkAgent(raw: unknown): string {
  const [peer, name, extra] = typeof raw === 'string' ? raw.split(':') : [];
  if (extra !== undefined || !peer || !name || !PEER_ID_PATTERN.test(peer) || !PEER_ID_PATTERN.test(name)) {
    throw new RpcError(RpcCode.invalidParams, 'message.metadata.agent: must be an agent id "peer:name"');
  }
  return raw as string;
}

function checkTimeout(raw: unknown): number {
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 1 || raw > 3600) {
    throw new RpcError(RpcCode.invalidParams, 'message.metadata.timeoutSeconds: must be an integer from 1 to 3600');
  }
  return raw;
}
