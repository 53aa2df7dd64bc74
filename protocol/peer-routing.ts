import * as v from 'valibot';
import { PeerIdSchema } from './common.ts';
import { AnswerFrameSchema, ByeFrameSchema, CandidateFrameSchema, OfferFrameSchema } from './frames.ts';
import { MAX_ROUTE_ENTRIES, MAX_ROUTE_HOPS } from './peer-routing-limits.ts';

export * from './peer-routing-limits.ts';

/**
 * Routing over peers (the `routed` tier, docs/architecture.md "Routing over peers"): link-level
 * messages two neighbours exchange on their verified DataChannel, next to MeshMessages. Neither
 * ever reaches the application: `routes` tells a neighbour whom we reach and in how many hops,
 * `hop` carries one end-to-end sealed payload (a `seal-hello` or `sealed` frame, the very ones the
 * server relay carries) from `src` to `dst` over other peers, who can read nothing of it.
 */

/** The sender reaches `peer` in `hops` hops (1: its own DataChannel). */
const RouteEntrySchema = v.object({
  peer: PeerIdSchema,
  hops: v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(1, 'must be >= 1'), v.maxValue(MAX_ROUTE_HOPS - 1, `must be <= ${MAX_ROUTE_HOPS - 1}`)),
});

/** Largest `seq` of a `routes` message; the next one is 0 (here, not in peer-routing-limits.ts: the first load never needs it). */
export const ROUTE_SEQ_MAX = 2 ** 31 - 1;

/** Numbers a sender's announcements to one neighbour; the one after ROUTE_SEQ_MAX is 0. */
const RouteSeqSchema = v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'), v.maxValue(ROUTE_SEQ_MAX, `must be <= ${ROUTE_SEQ_MAX}`));
const ResyncSchema = v.optional(v.literal(true, 'must be true'));

/** A whole announcement: replaces everything the sender announced before. */
export const RouteAnnounceSchema = v.object({
  v: v.literal(1, 'must be 1'),
  type: v.literal('routes', 'must be "routes"'),
  peers: v.pipe(v.array(RouteEntrySchema, 'must be an array'), v.maxLength(MAX_ROUTE_ENTRIES, `must have at most ${MAX_ROUTE_ENTRIES} entries`)),
  /** The sender takes deltas (a `routes` without `peers`) after a whole announcement (older peers send neither field). */
  deltas: v.optional(v.literal(true, 'must be true')),
  /** This announcement's number: the delta that follows it has `seq + 1`. */
  seq: v.optional(RouteSeqSchema),
  /** The sender lost track of what we announced: we send it a whole announcement. */
  resync: ResyncSchema,
});
export type RouteAnnounce = v.InferOutput<typeof RouteAnnounceSchema>;

/**
 * A `routes` message without `peers`: what changed since the sender's previous announcement
 * (whole or delta, number `seq - 1`). Sent only to a neighbour whose whole announcement said
 * `deltas: true`; an older peer that got one anyway finds no `peers` and drops it.
 */
export const RouteDeltaSchema = v.object({
  v: v.literal(1, 'must be 1'),
  type: v.literal('routes', 'must be "routes"'),
  seq: RouteSeqSchema,
  /** Peers newly reached, or reached in another number of hops. */
  add: v.pipe(v.array(RouteEntrySchema, 'must be an array'), v.maxLength(MAX_ROUTE_ENTRIES, `must have at most ${MAX_ROUTE_ENTRIES} entries`)),
  /** Peers no longer reached (or no longer announced: beyond the entry cap). */
  drop: v.pipe(v.array(PeerIdSchema, 'must be an array'), v.maxLength(MAX_ROUTE_ENTRIES, `must have at most ${MAX_ROUTE_ENTRIES} entries`)),
  resync: ResyncSchema,
});
export type RouteDelta = v.InferOutput<typeof RouteDeltaSchema>;

export const HopSchema = v.object({
  v: v.literal(1, 'must be 1'),
  type: v.literal('hop', 'must be "hop"'),
  /** Chosen by the source, unique per payload: a relay forwards each id once (loops, duplicates). */
  id: v.pipe(v.string('must be a string'), v.regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 chars of A-Z a-z 0-9 _ . -')),
  src: PeerIdSchema,
  dst: PeerIdSchema,
  /** Hops left; a relay forwards only with ttl >= 1 and decrements it. */
  ttl: v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'), v.maxValue(MAX_ROUTE_HOPS, `must be <= ${MAX_ROUTE_HOPS}`)),
  /** Peers it went through so far, the source first: nobody is visited twice. */
  path: v.pipe(v.array(PeerIdSchema, 'must be an array'), v.minLength(1, 'must name the source'), v.maxLength(MAX_ROUTE_HOPS, `must have at most ${MAX_ROUTE_HOPS} entries`)),
  /** A `seal-hello` or `sealed` payload for `dst` (protocol/sealed-relay.ts), checked by `dst` only. */
  body: v.unknown(),
});
export type Hop = v.InferOutput<typeof HopSchema>;

/**
 * Negotiation of a new DataChannel carried by the peers' existing ones: an offer, answer,
 * candidate or bye frame as the server would relay it, sent sealed end to end over the `routed`
 * tier instead of through the server. The receiver stamps `from` (the sealed route it came on)
 * and `to` (itself); values in the frame are ignored.
 */
export const LinkSignalSchema = v.object({
  v: v.literal(1, 'must be 1'),
  type: v.literal('signal', 'must be "signal"'),
  frame: v.variant('type', [OfferFrameSchema, AnswerFrameSchema, CandidateFrameSchema, ByeFrameSchema], 'must be an offer, answer, candidate or bye frame'),
});
export type LinkSignal = v.InferOutput<typeof LinkSignalSchema>;
