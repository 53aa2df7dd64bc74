import * as v from 'valibot';
import { IceServerSchema, MeshSchema, nonNegativeInt, PeerIdSchema, RoleSchema, text, TierSchema } from './common.ts';
import { IdentityFailureSchema } from './link-proof.ts';

/**
 * Signaling WebSocket frames. Client frames are validated here; server frames are typed here
 * and validated by clients with the same schemas. `from` on a client frame is optional and, if
 * present, must equal the token's subject (the server stamps it either way).
 */

/** Field limits of the negotiation frames, shared with the hot-path check in hot-frames.ts. */
export const NEGOTIATION_LIMITS = { sdp: 60_000, sid: 64, candidate: 1024, sdpMid: 64, sdpMLineIndex: 1024 } as const;
export const SID_PATTERN = /^[A-Za-z0-9_-]+$/;
const L = NEGOTIATION_LIMITS;
const to = PeerIdSchema;
const from = v.optional(PeerIdSchema);

export const HelloFrameSchema = v.object({ type: v.literal('hello'), token: text(4096) });
export const AuthFrameSchema = v.object({ type: v.literal('auth'), token: text(4096) });

/**
 * Connection-attempt id: one per RTCPeerConnection, chosen by the offerer, echoed on the answer
 * and every candidate so a peer can drop negotiation frames of a connection it already replaced.
 */
const sid = v.optional(v.pipe(text(L.sid), v.regex(SID_PATTERN, 'must be A-Z a-z 0-9 _ -')));
const candidateFields = {
  candidate: v.pipe(v.string('must be a string'), v.maxLength(L.candidate, `must be at most ${L.candidate} characters`)),
  sdpMid: v.optional(v.nullable(v.pipe(v.string(), v.maxLength(L.sdpMid)))),
  sdpMLineIndex: v.optional(v.nullable(nonNegativeInt(L.sdpMLineIndex))),
};
/** Candidates one `candidate` frame may carry in `more`, besides its own. */
export const MAX_MORE_CANDIDATES = 16;
const candidateList = v.pipe(v.array(v.object(candidateFields), 'must be an array'), v.maxLength(MAX_MORE_CANDIDATES, `must have at most ${MAX_MORE_CANDIDATES} entries`));
export const SdpPayloadSchema = v.object({
  sdp: text(L.sdp),
  sid,
  /** The sender's stack can restart ICE on a live connection (browsers; not node-datachannel). */
  iceRestart: v.optional(v.boolean('must be a boolean')),
  /** On an offer: an overlay repair link, taken only into a free slot (refused with `bye` link-cap, never evicting). */
  repair: v.optional(v.boolean('must be a boolean')),
  /** On an offer: the answer may carry the answerer's first candidates (`candidates`), saving a frame per link. */
  candidatesInAnswer: v.optional(v.boolean('must be a boolean')),
  /** On an answer to an offer with `candidatesInAnswer`: the answerer's candidates gathered by then; later ones trickle. */
  candidates: v.optional(candidateList),
});
export const CandidatePayloadSchema = v.nullable(
  v.object({
    ...candidateFields,
    sid,
    /** Further candidates of the same connection, gathered at the same moment (a batch held until the answer). */
    more: v.optional(candidateList),
  }),
);

export const OfferFrameSchema = v.object({ type: v.literal('offer'), to, from, payload: SdpPayloadSchema });
export const AnswerFrameSchema = v.object({ type: v.literal('answer'), to, from, payload: SdpPayloadSchema });
export const CandidateFrameSchema = v.object({ type: v.literal('candidate'), to, from, payload: CandidatePayloadSchema });
export const ByeFrameSchema = v.object({
  type: v.literal('bye'),
  to,
  from,
  payload: v.optional(v.object({ reason: v.optional(v.pipe(v.string(), v.maxLength(200))) })),
});
/** Tier-3 fallback: an application message (a MeshMessage) carried by the server. */
export const RelayFrameSchema = v.object({ type: v.literal('relay'), to, from, payload: v.unknown() });

export const HeartbeatFrameSchema = v.object({
  type: v.literal('heartbeat'),
  from,
  payload: v.optional(v.object({ load: v.optional(nonNegativeInt(1_000_000)) })),
});

export const LinkSchema = v.object({
  peer: PeerIdSchema,
  state: v.picklist(['connecting', 'open', 'closed', 'failed'], 'must be connecting, open, closed or failed'),
  tier: TierSchema,
  rttMs: v.optional(v.pipe(v.number('must be a number'), v.minValue(0, 'must be >= 0'), v.maxValue(600_000, 'must be <= 600000'))),
  bytesSent: v.optional(nonNegativeInt()),
  bytesReceived: v.optional(nonNegativeInt()),
});
export type Link = v.InferOutput<typeof LinkSchema>;

export const LinkReportFrameSchema = v.object({
  type: v.literal('link-report'),
  from,
  payload: v.object({
    links: v.pipe(v.array(LinkSchema, 'must be an array'), v.maxLength(512, 'must have at most 512 links')),
    /** Peers that failed the DataChannel link proof since the last report (the server counts them). */
    identityFailures: v.optional(v.pipe(v.array(IdentityFailureSchema, 'must be an array'), v.maxLength(64, 'must have at most 64 entries'))),
  }),
});

export const ClientFrameSchema = v.variant(
  'type',
  [
    HelloFrameSchema,
    AuthFrameSchema,
    OfferFrameSchema,
    AnswerFrameSchema,
    CandidateFrameSchema,
    ByeFrameSchema,
    RelayFrameSchema,
    HeartbeatFrameSchema,
    LinkReportFrameSchema,
  ],
  'must be one of hello, auth, offer, answer, candidate, bye, relay, heartbeat, link-report',
);
export type ClientFrame = v.InferOutput<typeof ClientFrameSchema>;
/** Frames the server forwards verbatim to `to` (with `from` stamped). */
export type RelayedFrame = Extract<ClientFrame, { to: string }>;
export const RELAYED_TYPES = ['offer', 'answer', 'candidate', 'bye', 'relay'] as const;

export const PeerSummarySchema = v.object({
  peerId: PeerIdSchema,
  role: RoleSchema,
  joinedAt: v.number(),
});
export type PeerSummary = v.InferOutput<typeof PeerSummarySchema>;

/**
 * On `welcome` and `presence`: the server stores link changes only while someone reads the mesh's
 * topology. `watch` ms > 0: send a link report now and after each link change for that long;
 * 0: not watched, periodic reports only. Absent (servers before on-demand reports): report every
 * change. It rides on frames every client already reads, so older clients simply ignore it.
 */
const watch = v.optional(v.number());

export const WelcomeFrameSchema = v.object({
  type: v.literal('welcome'),
  peerId: PeerIdSchema,
  mesh: MeshSchema,
  role: RoleSchema,
  /** Everyone else in a small mesh; in a large one a bounded set of neighbours to link to (see `complete`). */
  peers: v.array(PeerSummarySchema),
  /** Peers in the mesh, this one included (absent from servers before presence batching). */
  meshSize: v.optional(v.number()),
  /** True when `peers` lists every other peer; absent means true (servers before presence batching). */
  complete: v.optional(v.boolean()),
  iceServers: v.array(IceServerSchema),
  /** `relayBytesPerSec`: what `relay` frames may carry per second, apart from `ratePerSec` (absent from older servers). */
  limits: v.object({ maxFrameBytes: v.number(), ratePerSec: v.number(), maxPeersPerMesh: v.number(), relayBytesPerSec: v.optional(v.number()) }),
  tokenExpiresAt: v.number(),
  serverTime: v.number(),
  watch,
});
export const PeerJoinedFrameSchema = v.object({ type: v.literal('peer-joined'), peer: PeerSummarySchema });
export const PeerLeftFrameSchema = v.object({ type: v.literal('peer-left'), peerId: PeerIdSchema });
/** Several presence changes at once (a lone change still comes as `peer-joined` / `peer-left`); apply `left` first. */
export const PresenceFrameSchema = v.object({
  type: v.literal('presence'),
  left: v.array(PeerIdSchema),
  joined: v.array(PeerSummarySchema),
  meshSize: v.number(),
  watch,
});
export const AuthOkFrameSchema = v.object({ type: v.literal('auth-ok'), tokenExpiresAt: v.number() });
export const ErrorFrameSchema = v.object({
  type: v.literal('error'),
  code: v.string(),
  message: v.string(),
  ref: v.optional(v.string()),
});
/** Control-plane pushes (tasks); payload shapes live in http.ts with the task types. */
export const TaskPushFrameSchema = v.object({
  type: v.picklist(['task-assigned', 'task-updated']),
  payload: v.unknown(),
});
const DeliveredSchema = <T extends v.ObjectEntries>(entries: T) => v.object({ ...entries, from: PeerIdSchema });

export const ServerFrameSchema = v.variant('type', [
  WelcomeFrameSchema,
  PeerJoinedFrameSchema,
  PeerLeftFrameSchema,
  PresenceFrameSchema,
  AuthOkFrameSchema,
  ErrorFrameSchema,
  TaskPushFrameSchema,
  DeliveredSchema(OfferFrameSchema.entries),
  DeliveredSchema(AnswerFrameSchema.entries),
  DeliveredSchema(CandidateFrameSchema.entries),
  DeliveredSchema(ByeFrameSchema.entries),
  DeliveredSchema(RelayFrameSchema.entries),
]);
export type ServerFrame = v.InferOutput<typeof ServerFrameSchema>;
export type WelcomeFrame = v.InferOutput<typeof WelcomeFrameSchema>;

/** WebSocket close codes; docs/protocol.md lists the same table. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  /** Mesh is full (policy violation). */
  meshFull: 1008,
  frameTooBig: 1009,
  /** The server failed while setting up the session (a bug or a dependency down); reconnect. */
  internalError: 1011,
  /** Repeated invalid frames. */
  protocolAbuse: 4400,
  /** Token missing, invalid or expired. */
  unauthorized: 4401,
  /** Token revoked or device removed. */
  revoked: 4403,
  /** No hello within the auth timeout, or no pong within the idle timeout. */
  timeout: 4408,
  /** Another live socket already holds this peer id. */
  duplicatePeer: 4409,
  /** Sustained rate-limit excess. */
  rateLimited: 4429,
} as const;
