/**
 * Chunk framing for DataChannels (and large relayed messages). Every frame is
 *
 *   byte 0      version (1)
 *   byte 1      flags: 0x01 FIRST, 0x02 LAST (a one-frame message has both)
 *   bytes 2-5   message id, uint32 big-endian, per sender
 *   bytes 6-9   total message length in bytes, uint32 big-endian (same in every frame)
 *   bytes 10-   payload slice
 *
 * Frames of one message arrive in order (the channel is ordered), frames of different messages
 * may interleave; that is how small control messages overtake a bulk transfer.
 */

export const FRAME_VERSION = 1;
export const FRAME_HEADER_BYTES = 10;
/** Largest frame on a DataChannel, header included: 16 KiB (safe for every SCTP stack). */
export const MAX_FRAME_BYTES = 16 * 1024;
const FIRST = 0x01;
const LAST = 0x02;

/** Payload bytes that fit in one frame of `frameBytes`. */
export const payloadPerFrame = (frameBytes = MAX_FRAME_BYTES) => frameBytes - FRAME_HEADER_BYTES;

/** One message to frame: its bytes, or its parts in order (a binary envelope's header and attachments). */
export type MessageBytes = Uint8Array | readonly Uint8Array[];

/** Total length of a message's bytes. */
export function messageLength(message: MessageBytes): number {
  if (message instanceof Uint8Array) return message.length;
  let n = 0;
  for (const part of message) n += part.length;
  return n;
}

/**
 * Yields the frames of one message lazily, reading its parts in place: a 50 MB message never
 * exists twice in memory, and an envelope's attachments are never concatenated. With `scratch`
 * (at least `frameBytes` long) every frame is written into it and is valid only until the next
 * one is taken: for a consumer that copies each frame at once, which saves an allocation per
 * frame (3,000 for 50 MB) and the garbage collection behind them.
 */
export function* encodeFrames(msgId: number, message: MessageBytes, frameBytes = MAX_FRAME_BYTES, scratch?: Uint8Array<ArrayBuffer>): Generator<Uint8Array<ArrayBuffer>> {
  const parts = message instanceof Uint8Array ? [message] : message;
  const total = messageLength(parts);
  const per = payloadPerFrame(frameBytes);
  let offset = 0;
  let part = 0;
  let inPart = 0;
  const scratchView = scratch && new DataView(scratch.buffer, scratch.byteOffset, scratch.byteLength);
  do {
    const end = Math.min(total, offset + per);
    const size = FRAME_HEADER_BYTES + end - offset;
    const frame = scratch ? scratch.subarray(0, size) : new Uint8Array(size);
    const view = scratchView ?? new DataView(frame.buffer);
    view.setUint8(0, FRAME_VERSION);
    view.setUint8(1, (offset === 0 ? FIRST : 0) | (end === total ? LAST : 0));
    view.setUint32(2, msgId >>> 0);
    view.setUint32(6, total);
    for (let at = FRAME_HEADER_BYTES; at < frame.length; ) {
      const p = parts[part]!;
      const n = Math.min(p.length - inPart, frame.length - at);
      frame.set(inPart === 0 && n === p.length ? p : p.subarray(inPart, inPart + n), at);
      at += n;
      inPart += n;
      if (inPart === p.length) (part++, (inPart = 0));
    }
    yield frame;
    offset = end;
  } while (offset < total);
}

export interface ReassemblerOptions {
  /** Largest message accepted, in bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** Cap on bytes held by all partial messages together (default maxMessageBytes + 1 MiB). */
  maxBufferedBytes?: number;
  /** Largest frame accepted, header included (default 16 KiB). */
  maxFrameBytes?: number;
  /** Partial messages in flight at once (default 64). */
  maxPartials?: number;
}

export type PushResult =
  | { ok: true; message?: Uint8Array }
  | { ok: false; code: 'bad-frame' | 'too-large'; message: string };

export interface Reassembler {
  /** Feeds one frame; returns the completed message when this frame finished one. Never throws. */
  push(frame: Uint8Array): PushResult;
  /** Bytes currently held by partial messages. */
  readonly bufferedBytes: number;
  /** Drops every partial message (the channel went away). */
  clear(): void;
}

interface Partial {
  buf: Uint8Array;
  filled: number;
}

export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Reassembles frames into messages, enforcing size, memory and ordering rules. */
export function createReassembler(opts: ReassemblerOptions = {}): Reassembler {
  const maxMessage = opts.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const maxBuffered = opts.maxBufferedBytes ?? maxMessage + 1024 * 1024;
  const maxFrame = opts.maxFrameBytes ?? MAX_FRAME_BYTES;
  const maxPartials = opts.maxPartials ?? 64;
  const partials = new Map<number, Partial>();
  let buffered = 0;

  const bad = (message: string, code: 'bad-frame' | 'too-large' = 'bad-frame'): PushResult => ({ ok: false, code, message });
  const drop = (id: number) => {
    const p = partials.get(id);
    if (p) (buffered -= p.buf.length, partials.delete(id));
  };

  return {
    push(frame) {
      if (frame.length < FRAME_HEADER_BYTES) return bad(`frame shorter than its ${FRAME_HEADER_BYTES}-byte header`);
      if (frame.length > maxFrame) return bad(`frame of ${frame.length} bytes exceeds ${maxFrame}`);
      const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
      const version = view.getUint8(0);
      const flags = view.getUint8(1);
      const id = view.getUint32(2);
      const total = view.getUint32(6);
      const data = frame.subarray(FRAME_HEADER_BYTES);
      if (version !== FRAME_VERSION) return bad(`unsupported frame version ${version}`);
      if (flags & ~(FIRST | LAST)) return (drop(id), bad(`unknown frame flags 0x${flags.toString(16)}`));
      if (total > maxMessage) return (drop(id), bad(`message of ${total} bytes exceeds the ${maxMessage}-byte limit`, 'too-large'));
      const first = (flags & FIRST) !== 0;
      const last = (flags & LAST) !== 0;
      if (first) {
        if (partials.has(id)) return (drop(id), bad(`message ${id} restarted before it ended`));
        if (last) {
          if (data.length !== total) return bad(`one-frame message ${id} carries ${data.length} of ${total} bytes`);
          return { ok: true, message: data };
        }
        if (data.length === 0 || data.length >= total) return bad(`first frame of message ${id} has a bad length`);
        if (partials.size >= maxPartials) return bad(`more than ${maxPartials} messages in flight`);
        if (buffered + total > maxBuffered) return bad(`partial messages would hold more than ${maxBuffered} bytes`, 'too-large');
        const buf = new Uint8Array(total);
        buf.set(data);
        partials.set(id, { buf, filled: data.length });
        buffered += total;
        return { ok: true };
      }
      const p = partials.get(id);
      if (!p) return bad(`frame for unknown message ${id}`);
      if (p.buf.length !== total) return (drop(id), bad(`message ${id} changed its length`));
      const filled = p.filled + data.length;
      if (data.length === 0 || filled > total || last !== (filled === total)) return (drop(id), bad(`message ${id} frames do not add up`));
      p.buf.set(data, p.filled);
      p.filled = filled;
      if (!last) return { ok: true };
      drop(id);
      return { ok: true, message: p.buf };
    },
    get bufferedBytes() {
      return buffered;
    },
    clear() {
      partials.clear();
      buffered = 0;
    },
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** A message as UTF-8 JSON bytes. */
export function encodeJson(value: unknown): Uint8Array<ArrayBuffer> {
  return encoder.encode(JSON.stringify(value));
}

/** Parses UTF-8 JSON bytes; undefined for invalid UTF-8 or JSON (never throws). */
export function decodeJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes)) as unknown;
  } catch {
    return undefined;
  }
}
