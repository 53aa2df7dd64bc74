import {
  ATTACHMENT_FIELDS, ENVELOPE_KIND, ENVELOPE_PREFIX_BYTES, TEXT_ATTACHMENT_MIN_CHARS, validate,
  type Attachment, type MeshMessage,
} from '../../../protocol/index.ts';
import { EnvelopeHeaderSchema } from '../../../protocol/mesh-envelope-header.ts';
import { extractBinary, insertAt } from './binary-values.ts';
import { MeshError } from '../errors.ts';
import { decodeJson, type MessageBytes } from './framing.ts';
import { decodePlain, jsonBytes, sized, type DecodeResult, type Encoded } from './wire-codec.ts';

/**
 * MeshMessage ⇄ bytes (the mesh loads this with the first binary message: wire-codec.ts). A message without binary values is UTF-8 JSON, as always. One whose
 * `task-request` input, `task-result` output or `task-chunk` data holds `Uint8Array`/`ArrayBuffer`
 * values (or strings of ≥ 64 Ki chars) becomes a binary envelope (protocol/mesh-envelope.ts):
 * a small JSON header, then the raw bytes, never copied into one buffer by the sender (the framer
 * reads the parts in place) and never parsed as JSON by the receiver.
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** The message as one JSON part, or an envelope's parts. Throws `MeshError('bad-message')` when it cannot be encoded. */
export function encodeMessage(msg: MeshMessage): MessageBytes {
  const field = ATTACHMENT_FIELDS[msg.type as keyof typeof ATTACHMENT_FIELDS] as string | undefined;
  const cut = field === undefined ? undefined : extractBinary((msg.payload as Record<string, unknown>)[field], ['payload', field], TEXT_ATTACHMENT_MIN_CHARS);
  if (!cut) return jsonBytes(msg);
  const parts: Uint8Array[] = [];
  const att: Attachment[] = cut.found.map((f) => {
    const bytes = f.kind === 'text' ? encoder.encode(f.value as string) : f.kind === 'buffer' ? new Uint8Array(f.value as ArrayBuffer) : (f.value as Uint8Array);
    parts.push(bytes);
    return { at: f.at, bytes: bytes.length, kind: f.kind };
  });
  const header = jsonBytes({ v: 1, msg: { ...msg, payload: { ...msg.payload, [field!]: cut.value } }, att });
  const prefix = new Uint8Array(ENVELOPE_PREFIX_BYTES + header.length);
  prefix[0] = ENVELOPE_KIND;
  new DataView(prefix.buffer).setUint32(1, header.length);
  prefix.set(header, ENVELOPE_PREFIX_BYTES);
  return [prefix, ...parts];
}

/** `encodeMessage` plus the size check; MeshError `bad-message` or `too-large` (over `maxBytes`), naming `peerId`. */
export function encodeCheckedMessage(msg: MeshMessage, maxBytes: number, peerId?: string): Encoded {
  let bytes: MessageBytes;
  try {
    bytes = encodeMessage(msg);
  } catch (err) {
    throw err instanceof MeshError && peerId ? MeshError.withCode(err.code, err.message, { peerId }) : err;
  }
  return sized(bytes, maxBytes, peerId);
}

export type { DecodeResult } from './wire-codec.ts';

/** Decodes one reassembled message; never throws. The result still needs MeshMessageSchema. */
export function decodeMessage(bytes: Uint8Array): DecodeResult {
  if (bytes[0] !== ENVELOPE_KIND) return decodePlain(bytes);
  if (bytes.length < ENVELOPE_PREFIX_BYTES) return bad('binary envelope shorter than its 5-byte prefix');
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
  const bodyStart = ENVELOPE_PREFIX_BYTES + headerLength;
  if (bodyStart > bytes.length) return bad(`binary envelope header of ${headerLength} bytes overruns the ${bytes.length}-byte message`);
  const parsed = validate(EnvelopeHeaderSchema, decodeJson(bytes.subarray(ENVELOPE_PREFIX_BYTES, bodyStart)));
  if (!parsed.ok) return bad(`binary envelope header ${parsed.message}`);
  const { msg, att } = parsed.value;
  const type = (msg as { type?: unknown } | null)?.type;
  const field = typeof type === 'string' ? (ATTACHMENT_FIELDS as Record<string, string>)[type] : undefined;
  if (!field) return bad(`binary envelope: a ${JSON.stringify(type)} message carries no attachments (only task-request input, task-result output, task-chunk data)`, msg);
  let total = 0;
  for (const a of att) total += a.bytes;
  if (total !== bytes.length - bodyStart) return bad(`binary envelope: attachments declare ${total} bytes, the message carries ${bytes.length - bodyStart}`, msg);
  let offset = bodyStart;
  for (const [i, a] of att.entries()) {
    if (a.at[0] !== 'payload' || a.at[1] !== field) return bad(`att[${i}].at: must start with "payload", "${field}"`, msg);
    const view = bytes.subarray(offset, (offset += a.bytes));
    let value: unknown;
    if (a.kind === 'text') {
      try {
        value = decoder.decode(view);
      } catch {
        return bad(`att[${i}]: text attachment is not UTF-8`, msg);
      }
    } else if (a.kind === 'buffer') {
      value = view.slice().buffer;
      // A small slice of a big message gets its own memory, so it does not keep the message alive.
    } else value = view.length * 2 >= bytes.length ? view : view.slice();
    const problem = insertAt(msg, a.at, value);
    if (problem) return bad(`att[${i}].at: ${problem}`, msg);
  }
  return { ok: true, value: msg };
}

const bad = (message: string, raw?: unknown): DecodeResult => ({ ok: false, code: 'bad-message', message, ...(raw === undefined ? {} : { raw }) });
