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

// The header's schema has a file of its own, outside the protocol barrel: only the code that reads
// envelopes imports it, and that code loads on first use in the browser library.
export type { Attachment, AttachmentKind, EnvelopeHeader } from './mesh-envelope-header.ts';
