import * as v from 'valibot';
import { nonNegativeInt, PeerIdSchema, RoleSchema, text, TierSchema } from './common.ts';
import { AgentPlatformSchema, SkillSchema } from './mesh-messages.ts';

/** Control-plane HTTP bodies and records: registry, tasks, pairing, invites, topology. */

export const AGENT_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const AgentNameSchema = v.pipe(v.string('must be a string'), v.regex(AGENT_NAME_PATTERN, 'must be 1-64 chars of A-Z a-z 0-9 _ . - starting with a letter or digit'));

export const AgentRegistrationSchema = v.object({
  name: AgentNameSchema,
  skills: v.pipe(v.array(SkillSchema, 'must be an array'), v.maxLength(128, 'must have at most 128 skills')),
  capabilities: v.optional(v.pipe(v.array(text(64), 'must be an array'), v.maxLength(32, 'must have at most 32 entries')), []),
  // The schema itself, not `AgentInfoSchema.entries.platform`: a property read survives tree-shaking in the browser library.
  platform: AgentPlatformSchema,
});
export type AgentRegistration = v.InferOutput<typeof AgentRegistrationSchema>;

export type Health = 'active' | 'stale' | 'offline';
export interface AgentRecord extends AgentRegistration {
  /** `peerId:name`, unique per mesh. */
  id: string;
  peerId: string;
  mesh: string;
  registeredAt: number;
}
export interface AgentView extends AgentRecord {
  lastSeen: number;
  health: Health;
  inFlight: number;
}

export const HeartbeatRequestSchema = v.object({ load: v.optional(nonNegativeInt(1_000_000)) });

export const TASK_STATES = ['pending', 'assigned', 'completed', 'failed', 'expired'] as const;
export type TaskState = (typeof TASK_STATES)[number];

export const TaskSubmitSchema = v.object({
  skill: text(64),
  input: v.optional(v.unknown()),
  /** An agent id (`peer:name`) or a peer id; omitted: route by skill. */
  to: v.optional(text(130)),
  /** Client-chosen id: a retry with the same id returns the same task. */
  requestId: v.pipe(text(64), v.regex(/^[A-Za-z0-9_.:-]+$/, 'must be A-Z a-z 0-9 _ . : -')),
  ttlSeconds: v.optional(v.pipe(nonNegativeInt(86_400), v.minValue(1, 'must be >= 1'))),
});
export type TaskSubmit = v.InferOutput<typeof TaskSubmitSchema>;

// TaskErrorSchema, TaskUpdateSchema and TaskSchema: protocol/task-record.ts (outside the barrel).

/** 6 digits = admin pairing code; 12 base32 chars = invite code. */
export const PAIRING_CODE_PATTERN = /^\d{6}$/;
export const INVITE_CODE_PATTERN = /^[A-Z2-7]{12}$/;
export const PairingRedeemSchema = v.object({
  code: v.pipe(v.string('must be a string'), v.regex(/^(\d{6}|[A-Z2-7]{12})$/, 'must be a 6-digit pairing code or a 12-character invite code')),
  name: text(64),
});
export const PairingCodeCreateSchema = v.object({ role: v.optional(RoleSchema, 'agent') });
export const InviteCreateSchema = v.object({
  autoApprove: v.optional(v.boolean('must be a boolean'), false),
  role: v.optional(RoleSchema, 'agent'),
  ttlSeconds: v.optional(v.pipe(nonNegativeInt(7 * 86_400), v.minValue(60, 'must be >= 60')), 86_400),
});
export const ApproveSchema = v.object({ role: v.optional(RoleSchema) });

export type PairingStatus = 'pending' | 'approved' | 'rejected' | 'delivered' | 'expired';
export interface PairingRequestView {
  id: string;
  mesh: string;
  name: string;
  status: PairingStatus;
  role: 'admin' | 'agent';
  createdAt: number;
  via: 'code' | 'invite';
  ip: string;
  deviceId?: string;
}
export interface DeviceView {
  id: string;
  mesh: string;
  name: string;
  role: 'admin' | 'agent';
  createdAt: number;
  revokedAt?: number;
}

export interface TopologyNode {
  peerId: string;
  role: 'admin' | 'agent';
  connected: boolean;
  agents: string[];
  health: Health;
  /** Platform of the peer's agents, when it registered any. */
  platform?: 'browser' | 'node';
  /** What the peer joined with: a paired device's token or a configured API key (peers on this instance only). */
  credential?: 'device' | 'api-key';
  /** The paired device's name (as given when pairing). */
  name?: string;
}
export const TopologyEdgeSchema = v.object({
  a: PeerIdSchema,
  b: PeerIdSchema,
  state: v.string(),
  tier: TierSchema,
  rttMs: v.optional(v.number()),
  bytesSent: v.optional(v.number()),
  bytesReceived: v.optional(v.number()),
  reportedBy: PeerIdSchema,
  reportedAt: v.number(),
});
export type TopologyEdge = v.InferOutput<typeof TopologyEdgeSchema>;
