import { ATTACHMENT_FIELDS, ENVELOPE_KIND, MAX_ATTACHMENT_DEPTH, TEXT_ATTACHMENT_MIN_CHARS, type MeshMessage } from '../../../protocol/index.ts';
import { MeshError } from '../errors.ts';
import { lazyModule } from '../lazy-module.ts';
import { decodeJson, encodeJson, messageLength, type MessageBytes } from './framing.ts';

/**
 * The message codec as the mesh's first load holds it: plain JSON messages are encoded and
 * decoded at once; the binary envelope (message-codec.ts, binary-values.ts and the envelope
 * header check) loads with the first message that carries binary values or very long strings
 * either way (docs/browser-library.md "Size"). Order is kept: while it loads, every message sent
 * waits behind it, and so does every message that arrives on the same wire after an envelope.
 */

type Codec = typeof import('./message-codec.ts');
export type Encoded = { bytes: MessageBytes; length: number };
export type DecodeResult =
  | { ok: true; value: unknown }
  /** `raw`: what could be read of the message (its `id` lets the error reply name the request). */
  | { ok: false; code: 'bad-message'; message: string; raw?: unknown };

let codec: Codec | undefined;
let loading: Promise<Codec> | undefined;
const load = lazyModule(() => import('./message-codec.ts'));

/** Loads the codec once for everyone waiting; a failed load is tried again by the next message that needs it. */
function loadCodec(): Promise<Codec> {
  return (loading ??= load().then(
    (m) => {
      codec = m;
      // Messages queued behind the load are handed on in this turn's microtasks: later ones take
      // the direct path only after them.
      setTimeout(() => (loading = undefined), 0);
      return m;
    },
    (err: unknown) => {
      loading = undefined;
      throw new MeshError('internal', `could not load the binary message codec: ${err instanceof Error ? err.message : String(err)}`);
    },
  ));
}

const isPlainObject = (v: object) => [Object.prototype, null].includes(Object.getPrototypeOf(v) as object | null);

/** True where binary-values.ts's `extractBinary` would cut something out (its walk, without the cutting). */
export const carriesBinary = (v: unknown, depth = 0): boolean =>
  typeof v === 'string'
    ? v.length >= TEXT_ATTACHMENT_MIN_CHARS
    : typeof v === 'object' && v !== null &&
      (v instanceof Uint8Array || v instanceof ArrayBuffer ||
        (depth < MAX_ATTACHMENT_DEPTH && (Array.isArray(v) || isPlainObject(v)) && Object.values(v).some((x) => carriesBinary(x, depth + 1))));

/**
 * message-codec.ts's `encodeCheckedMessage` (MeshError `bad-message`, `too-large`), at once for a
 * message without binary values, else once the codec is there.
 */
export function encodeForWire(msg: MeshMessage, maxBytes: number, peerId?: string): Encoded | Promise<Encoded> {
  const encode = (m: Codec) => m.encodeCheckedMessage(msg, maxBytes, peerId);
  // Behind a load under way, whatever this message is: messages leave in the order they were sent.
  if (loading) return loading.then(encode, () => encodeForWire(msg, maxBytes, peerId));
  if (codec) return encode(codec);
  const field = ATTACHMENT_FIELDS[msg.type as keyof typeof ATTACHMENT_FIELDS] as string | undefined;
  if (field !== undefined && carriesBinary((msg.payload as Record<string, unknown>)[field])) return loadCodec().then(encode);
  return sized(jsonBytes(msg, peerId), maxBytes, peerId);
}

/** `msg` as JSON bytes; MeshError `bad-message` (naming `peerId`) when it is not JSON-serializable. */
export function jsonBytes(msg: unknown, peerId?: string): Uint8Array {
  try {
    return encodeJson(msg);
  } catch (err) {
    throw new MeshError('bad-message', `message is not JSON-serializable: ${err instanceof Error ? err.message : String(err)}`, peerId ? { peerId } : {});
  }
}

/** `bytes` with their length; MeshError `too-large` (naming `peerId`) over `maxBytes`. */
export function sized(bytes: MessageBytes, maxBytes: number, peerId?: string): Encoded {
  const length = messageLength(bytes);
  if (length > maxBytes) throw new MeshError('too-large', `message of ${length} bytes exceeds the ${maxBytes}-byte limit`, peerId ? { peerId } : {});
  return { bytes, length };
}

/** A JSON message's bytes as message-codec.ts reads them. */
export function decodePlain(bytes: Uint8Array): DecodeResult {
  const value = decodeJson(bytes);
  return value === undefined ? { ok: false, code: 'bad-message', message: 'message is not UTF-8 JSON' } : { ok: true, value };
}

/**
 * One wire's decoder: `out` gets each message's decode result in arrival order. An envelope waits
 * for the codec, and messages that arrive behind it wait with it; a codec that cannot load makes
 * the envelopes `bad-message` (the next envelope tries again).
 */
export function createWireDecoder(out: (d: DecodeResult) => void): (bytes: Uint8Array) => void {
  let waiting: Uint8Array[] | undefined;
  const drain = (read: (b: Uint8Array) => DecodeResult) => {
    for (const b of waiting!.splice(0)) out(read(b));
    waiting = undefined;
  };
  return (bytes) => {
    if (waiting) return void waiting.push(bytes);
    if (codec) return out(codec.decodeMessage(bytes));
    if (bytes[0] !== ENVELOPE_KIND) return out(decodePlain(bytes));
    waiting = [bytes];
    loadCodec().then(
      (m) => drain(m.decodeMessage),
      (err: MeshError) => drain((b) => (b[0] === ENVELOPE_KIND ? { ok: false, code: 'bad-message', message: err.message } : decodePlain(b))),
    );
  };
}
