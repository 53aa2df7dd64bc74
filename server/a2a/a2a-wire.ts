import * as v from 'valibot';
import { text } from '../../protocol/index.ts';

/**
 * The A2A 1.0 JSON-RPC binding, as far as the gateway speaks it: request envelopes and params
 * (validated), and the JSON shapes it answers with (proto JSON: camelCase fields, enum names).
 */

export const A2A_PROTOCOL_VERSION = '1.0';

/** JSON-RPC 2.0 and A2A error codes (A2A spec §5.4). */
export const RpcCode = {
  parseError: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  taskNotFound: -32001,
  taskNotCancelable: -32002,
  unsupportedOperation: -32004,
} as const;

const metadata = v.optional(v.record(v.string(), v.unknown(), 'must be an object'));
const RpcIdSchema = v.union([v.string(), v.number(), v.null()], 'must be a string, a number or null');

export const RpcRequestSchema = v.looseObject({
  jsonrpc: v.literal('2.0', 'must be "2.0"'),
  id: v.optional(RpcIdSchema),
  method: text(128),
  params: v.optional(v.unknown()),
});
export type RpcId = v.InferOutput<typeof RpcIdSchema>;

export const PartSchema = v.looseObject({
  text: v.optional(v.string('must be a string')),
  data: v.optional(v.unknown()),
  url: v.optional(v.string('must be a string')),
  raw: v.optional(v.string('must be a string')),
  mediaType: v.optional(v.string('must be a string')),
  filename: v.optional(v.string('must be a string')),
  metadata,
});
export type Part = v.InferOutput<typeof PartSchema>;

export const MessageSchema = v.looseObject({
  messageId: text(128),
  role: v.optional(v.picklist(['ROLE_USER', 'ROLE_AGENT', 'ROLE_UNSPECIFIED'], 'must be "ROLE_USER" or "ROLE_AGENT"')),
  parts: v.pipe(v.array(PartSchema, 'must be an array'), v.minLength(1, 'must have at least one part'), v.maxLength(64, 'must have at most 64 parts')),
  contextId: v.optional(v.pipe(v.string('must be a string'), v.maxLength(128, 'must be at most 128 characters'))),
  taskId: v.optional(v.pipe(v.string('must be a string'), v.maxLength(128, 'must be at most 128 characters'))),
  metadata,
});
export type Message = v.InferOutput<typeof MessageSchema>;

export const SendMessageParamsSchema = v.looseObject({
  tenant: v.optional(v.string()),
  message: MessageSchema,
  configuration: v.optional(v.looseObject({
    returnImmediately: v.optional(v.boolean('must be a boolean')),
    historyLength: v.optional(v.number('must be a number')),
  })),
  metadata,
});
export type SendMessageParams = v.InferOutput<typeof SendMessageParamsSchema>;

export const TaskIdParamsSchema = v.looseObject({
  tenant: v.optional(v.string()),
  id: text(128),
  historyLength: v.optional(v.number('must be a number')),
  metadata,
});

export type A2ATaskState =
  | 'TASK_STATE_SUBMITTED' | 'TASK_STATE_WORKING' | 'TASK_STATE_COMPLETED' | 'TASK_STATE_FAILED'
  | 'TASK_STATE_CANCELED' | 'TASK_STATE_REJECTED';

export interface WirePart {
  text?: string;
  data?: unknown;
  mediaType?: string;
}
export interface WireMessage {
  messageId: string;
  role: 'ROLE_USER' | 'ROLE_AGENT';
  parts: WirePart[];
  contextId?: string;
  taskId?: string;
  metadata?: Record<string, unknown>;
}
export interface WireArtifact {
  artifactId: string;
  name?: string;
  parts: WirePart[];
}
export interface WireTaskStatus {
  state: A2ATaskState;
  message?: WireMessage;
  timestamp: string;
}
export interface WireTask {
  id: string;
  contextId: string;
  status: WireTaskStatus;
  artifacts?: WireArtifact[];
  history?: WireMessage[];
  metadata?: Record<string, unknown>;
}
/** One SSE event of SendStreamingMessage (a StreamResponse). */
export type StreamEvent =
  | { task: WireTask }
  | { statusUpdate: { taskId: string; contextId: string; status: WireTaskStatus; metadata?: Record<string, unknown> } }
  | { artifactUpdate: { taskId: string; contextId: string; artifact: WireArtifact; lastChunk?: boolean } };

export const FINAL_STATES: ReadonlySet<A2ATaskState> = new Set(['TASK_STATE_COMPLETED', 'TASK_STATE_FAILED', 'TASK_STATE_CANCELED', 'TASK_STATE_REJECTED']);

/** A JSON-RPC error the gateway answers with; `data` carries tabmesh's own code. */
export class RpcError extends Error {
  override name = 'RpcError';
  constructor(readonly code: number, message: string, readonly data?: Record<string, unknown>) {
    super(message);
  }
}
