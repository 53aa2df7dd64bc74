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

export const RouteAnnounceSchema = v.object({
  v: v.literal(1, 'must be 1'),
  type: v.literal('routes', 'must be "routes"'),
  peers: v.pipe(v.array(RouteEntrySchema, 'must be an array'), v.maxLength(MAX_ROUTE_ENTRIES, `must have at most ${MAX_ROUTE_ENTRIES} entries`)),
});
export type RouteAnnounce = v.InferOutput<typeof RouteAnnounceSchema>;

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
