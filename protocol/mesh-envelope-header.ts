import * as v from 'valibot';
import { nonNegativeInt } from './common.ts';
import { MAX_ATTACHMENT_DEPTH, MAX_ATTACHMENTS } from './mesh-envelope.ts';

/**
 * The binary envelope's JSON header (protocol/mesh-envelope.ts, docs/protocol.md "Binary values").
 * Not in the protocol barrel (index.ts): a module it re-exports is part of every bundle that
 * imports the barrel, and the browser library reads envelopes only once a binary message arrives.
 */

/** `bytes` arrives as a Uint8Array, `buffer` as an ArrayBuffer, `text` (UTF-8) as a string. */
export const AttachmentKindSchema = v.picklist(['bytes', 'buffer', 'text'], 'must be "bytes", "buffer" or "text"');
export type AttachmentKind = v.InferOutput<typeof AttachmentKindSchema>;

const PathStepSchema = v.union([v.pipe(v.string(), v.maxLength(1024, 'keys must be at most 1024 characters')), nonNegativeInt(0xffff_ffff)], 'must be a key or an array index');

export const AttachmentSchema = v.object({
  /** Path from the message root to the placeholder, e.g. `["payload", "input", "image"]`. */
  at: v.pipe(v.array(PathStepSchema), v.minLength(2, 'must reach into the payload'), v.maxLength(MAX_ATTACHMENT_DEPTH + 2, `must be at most ${MAX_ATTACHMENT_DEPTH + 2} steps`)),
  bytes: nonNegativeInt(0xffff_ffff),
  kind: AttachmentKindSchema,
});
export type Attachment = v.InferOutput<typeof AttachmentSchema>;

export const EnvelopeHeaderSchema = v.object({
  v: v.literal(1, 'must be 1'),
  /** The MeshMessage with `null` where each attachment goes (validated by MeshMessageSchema after). */
  msg: v.unknown(),
  att: v.pipe(v.array(AttachmentSchema), v.minLength(1, 'must list at least one attachment'), v.maxLength(MAX_ATTACHMENTS, `must have at most ${MAX_ATTACHMENTS} attachments`)),
});
export type EnvelopeHeader = v.InferOutput<typeof EnvelopeHeaderSchema>;
