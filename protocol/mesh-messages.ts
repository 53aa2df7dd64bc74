import * as v from 'valibot';
import { nonNegativeInt, PeerIdSchema, text } from './common.ts';

/**
 * MeshMessage: what agents exchange over DataChannels (or, on the fallback tier, inside a
 * `relay` frame). Validated on receipt; a bad one earns an `error` reply, never a crash.
 */

export const SkillSchema = v.object({
  name: v.pipe(text(64), v.regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower-case a-z 0-9 _ . -')),
  description: v.optional(v.pipe(v.string(), v.maxLength(1000))),
  inputSchema: v.optional(v.record(v.string(), v.unknown())),
  streaming: v.optional(v.boolean()),
});
export type Skill = v.InferOutput<typeof SkillSchema>;

export const AgentPlatformSchema = v.picklist(['browser', 'node'], 'must be "browser" or "node"');
export const AgentInfoSchema = v.object({
  name: text(64),
  skills: v.pipe(v.array(SkillSchema), v.maxLength(128, 'must have at most 128 skills')),
  platform: AgentPlatformSchema,
});
export type AgentInfo = v.InferOutput<typeof AgentInfoSchema>;

const id = text(64);
const base = {
  v: v.literal(1, 'must be 1'),
  id,
  from: PeerIdSchema,
  to: PeerIdSchema,
  replyTo: v.optional(id),
};
const msg = <T extends string, P extends v.GenericSchema>(type: T, payload: P) =>
  v.object({ ...base, type: v.literal(type), payload });

const MESSAGES = [
  msg('ping', v.object({ sentAt: v.number() })),
  msg('pong', v.object({ sentAt: v.number() })),
  msg('skill-query', v.object({})),
  msg('skill-list', v.object({ agents: v.pipe(v.array(AgentInfoSchema), v.maxLength(64)) })),
  msg(
    'task-request',
    v.object({
      skill: text(64),
      input: v.unknown(),
      stream: v.optional(v.boolean()),
      timeoutMs: v.optional(nonNegativeInt(3_600_000)),
    }),
  ),
  msg('task-chunk', v.object({ seq: nonNegativeInt(), data: v.unknown() })),
  msg('task-result', v.object({ output: v.unknown(), durationMs: v.optional(v.number()) })),
  msg('task-error', v.object({ code: text(64), message: v.pipe(v.string(), v.maxLength(4000)) })),
  msg('chat', v.object({ text: v.pipe(v.string(), v.maxLength(100_000)), agent: v.optional(text(64)) })),
  msg('chat-chunk', v.object({ seq: nonNegativeInt(), text: v.string(), done: v.optional(v.boolean()) })),
  msg('status', v.object({ state: v.optional(text(32)), load: v.optional(nonNegativeInt()) })),
  msg('cancel', v.object({ reason: v.optional(v.pipe(v.string(), v.maxLength(200))) })),
  msg('error', v.object({ code: text(64), message: v.pipe(v.string(), v.maxLength(4000)) })),
] as const;
// The list in the message is built from the schemas: in the browser library's first load, that is shorter than spelling it out.
export const MeshMessageSchema = v.variant('type', MESSAGES, `must be one of ${MESSAGES.map((m) => m.entries.type.literal).join(', ')}`);
export type MeshMessage = v.InferOutput<typeof MeshMessageSchema>;
export type MeshMessageType = MeshMessage['type'];
export type MeshPayload<T extends MeshMessageType> = Extract<MeshMessage, { type: T }>['payload'];
