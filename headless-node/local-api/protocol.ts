import * as v from 'valibot';
import { AgentNameSchema, PeerIdSchema, SkillSchema } from '../../protocol/index.ts';

/**
 * The local API's wire format (docs/local-api.md): newline-delimited JSON over the node's Unix
 * socket. A client sends requests `{id, op, ...}` and answers to the calls the node forwards to
 * it (`{op: "chunk" | "result" | "error", call, ...}`); the node sends replies `{id, ok, ...}`,
 * stream chunks `{id, chunk}` and events `{event, ...}`.
 */

export const LOCAL_API_VERSION = 1;

/** Every error code the local API answers with (docs/local-api.md lists them). */
export const LOCAL_API_ERRORS = {
  'bad-json': 'the line is not JSON',
  'bad-request': 'a field breaks its rule (the message names the field and the rule)',
  'unknown-op': 'op is not one the node knows',
  'duplicate-id': 'a request with this id is still running on this connection',
  'too-large': 'a line is longer than the limit; it is discarded',
  unauthorized: 'a TCP client did not send the right token first',
  'unknown-peer': 'the peer is not in the mesh',
  'no-agent': 'no active agent offers the skill',
  'unknown-skill': 'the peer offers no such skill',
  'bad-input': 'the input does not match the skill\'s inputSchema (what a remote caller sees)',
  'skill-taken': 'another agent on this node already serves a skill of that name',
  'agent-taken': 'an agent of that name already runs on this node',
  'not-registered': 'this connection registered no agent of that name',
  'unknown-call': 'no call of that id is waiting for this connection',
  'agent-gone': 'the local process serving a skill disconnected mid-call (what a remote caller sees)',
  'server-unreachable': 'the signaling server did not answer (routing by skill needs it)',
  timeout: 'no answer in time',
  cancelled: 'the client cancelled the request',
  'not-joined': 'the node has not joined the mesh yet',
} as const;
export type LocalApiErrorCode = keyof typeof LOCAL_API_ERRORS;

export { DEFAULT_MAX_LINE_BYTES } from './json-lines.ts';

const RequestId = v.union([
  v.pipe(v.string('must be a string or an integer'), v.minLength(1, 'must not be empty'), v.maxLength(64, 'must be at most 64 characters')),
  v.pipe(v.number('must be a string or an integer'), v.integer('must be a string or an integer'), v.minValue(0, 'must be >= 0')),
], 'must be a string (1-64 chars) or a non-negative integer');
const TimeoutMs = v.optional(v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be >= 1'), v.maxValue(3_600_000, 'must be <= 3600000')));
const CallId = v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(64, 'must be at most 64 characters'));

const req = <T extends string, E extends v.ObjectEntries>(op: T, entries: E) => v.object({ id: RequestId, op: v.literal(op), ...entries });

/** Requests a client sends; each gets exactly one `{id, ok}` reply (plus `{id, chunk}` lines for a streamed call). */
export const LocalRequestSchema = v.variant('op', [
  req('call', {
    skill: SkillSchema.entries.name,
    peer: v.optional(PeerIdSchema),
    input: v.optional(v.unknown()),
    stream: v.optional(v.boolean('must be true or false')),
    timeoutMs: TimeoutMs,
  }),
  req('cancel', { target: RequestId }),
  req('ping', { peer: PeerIdSchema, timeoutMs: TimeoutMs }),
  req('connect', { peer: PeerIdSchema, timeoutMs: TimeoutMs }),
  req('info', {}),
  req('peers', {}),
  req('agents', {}),
  req('links', {}),
  req('watch', {}),
  req('register', {
    agent: AgentNameSchema,
    skills: v.pipe(v.array(SkillSchema, 'must be an array'), v.minLength(1, 'must list at least one skill'), v.maxLength(128, 'must have at most 128 skills')),
  }),
  req('unregister', { agent: AgentNameSchema }),
  req('auth', { token: v.pipe(v.string('must be a string'), v.maxLength(256, 'must be at most 256 characters')) }),
], 'must be one of call, cancel, ping, connect, info, peers, agents, links, watch, register, unregister, auth');
export type LocalRequest = v.InferOutput<typeof LocalRequestSchema>;
export type RequestIdValue = LocalRequest['id'];

/** A client's answer to a call the node forwarded to it (`{event: "call"}`). */
export const CallAnswerSchema = v.variant('op', [
  v.object({ op: v.literal('chunk'), call: CallId, data: v.unknown() }),
  v.object({ op: v.literal('result'), call: CallId, output: v.optional(v.unknown()) }),
  v.object({
    op: v.literal('error'),
    call: CallId,
    code: v.optional(v.pipe(v.string('must be a string'), v.regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'must be 1-64 chars of a-z 0-9 -'))),
    message: v.pipe(v.string('must be a string'), v.maxLength(2000, 'must be at most 2000 characters')),
  }),
]);
export type CallAnswer = v.InferOutput<typeof CallAnswerSchema>;

export const ANSWER_OPS = new Set(['chunk', 'result', 'error']);
export const REQUEST_OPS = new Set(['call', 'cancel', 'ping', 'connect', 'info', 'peers', 'agents', 'links', 'watch', 'register', 'unregister', 'auth']);

/** Lines the node sends. */
export type NodeLine =
  | { id: RequestIdValue | null; ok: true; result: unknown }
  | { id: RequestIdValue | null; ok: false; error: { code: string; message: string } }
  | { id: RequestIdValue; chunk: unknown }
  | { event: 'hello'; protocol: number; peerId: string | null }
  | { event: 'call'; call: string; agent: string; skill: string; input: unknown; stream: boolean }
  | { event: 'cancel'; call: string; reason: string };

/**
 * What a `watch` request streams as its chunks: first `watching` (the subscription is live),
 * then each change of the mesh as this node sees it.
 */
export type WatchEvent =
  | { event: 'watching'; peerId: string }
  | { event: 'peer-joined'; peerId: string; role: string }
  | { event: 'peer-left'; peerId: string; reason: string }
  | { event: 'signaling'; state: 'open' | 'connecting' | 'stopped'; resumed?: boolean }
  | { event: 'agents-changed'; agents: string[] };
