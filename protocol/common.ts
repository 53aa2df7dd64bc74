import * as v from 'valibot';

/** Peer ids: what a client picks (or derives from its key); safe in URLs, logs and Redis keys. */
export const PEER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const MESH_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export const PeerIdSchema = v.pipe(
  v.string('must be a string'),
  v.regex(PEER_ID_PATTERN, 'must be 1-64 chars of A-Z a-z 0-9 _ . - starting with a letter or digit'),
);
export const MeshSchema = v.pipe(
  v.string('must be a string'),
  v.regex(MESH_PATTERN, 'must be 1-32 chars of a-z 0-9 _ - starting with a letter or digit'),
);
export const RoleSchema = v.picklist(['admin', 'agent'], 'must be "admin" or "agent"');
export type Role = v.InferOutput<typeof RoleSchema>;

// Pure (the bundler cannot tell, for the template literals): unused schemas built with these leave nothing in the browser library.
/** A bounded non-empty string; `max` in UTF-16 code units. */
export const text = /* @__NO_SIDE_EFFECTS__ */ (max: number) =>
  v.pipe(v.string('must be a string'), v.minLength(1, 'must not be empty'), v.maxLength(max, `must be at most ${max} characters`));

export const nonNegativeInt = /* @__NO_SIDE_EFFECTS__ */ (max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(v.number('must be a number'), v.integer('must be an integer'), v.minValue(0, 'must be >= 0'), v.maxValue(max, `must be <= ${max}`));

/** `unknown`: a DataChannel whose stats do not (yet) say whether it is relayed; never guessed. */
export const TierSchema = v.picklist(['direct', 'relayed', 'routed', 'fallback', 'unknown'], 'must be "direct", "relayed", "routed", "fallback" or "unknown"');
export type Tier = v.InferOutput<typeof TierSchema>;

/** The JSON error body every HTTP refusal uses. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export const IceServerSchema = v.object({
  urls: v.union([v.string(), v.array(v.string())]),
  username: v.optional(v.string()),
  credential: v.optional(v.string()),
});
export type IceServer = v.InferOutput<typeof IceServerSchema>;
