import * as v from 'valibot';
import { nonNegativeInt } from './common.ts';

/**
 * The binary envelope: how a MeshMessage carrying raw bytes travels (DataChannel, or framed
 * relay). Byte 0 is `ENVELOPE_KIND` (a JSON message starts with `{`), bytes 1–4 the header
 * length H (uint32 big-endian), then H bytes of UTF-8 JSON `EnvelopeHeader`, then every
 * attachment's bytes back to back in `att` order. Each attachment replaces a `null` placeholder
 * at `at` inside the message. docs/protocol.md "Binary values".
 */

/** First byte of an enveloped message (never the first byte of JSON text). */
export const ENVELOPE_KIND = 0x01;
/** Kind byte + uint32 header length. */
export const ENVELOPE_PREFIX_BYTES = 5;
/** Attachments in one message, at most. */
export const MAX_ATTACHMENTS = 1024;
/** Nesting depth searched for binary values, and the longest attachment path. */
export const MAX_ATTACHMENT_DEPTH = 32;
/** Strings at least this long (UTF-16 code units) travel as UTF-8 attachments: 64 Ki. */
export const TEXT_ATTACHMENT_MIN_CHARS = 64 * 1024;

/**
 * Where attachments may sit: only inside the free-form value of these message types
 * (`payload.<field>`), never in the envelope fields the router relies on.
 */
export const ATTACHMENT_FIELDS = { 'task-request': 'input', 'task-result': 'output', 'task-chunk': 'data' } as const;

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
