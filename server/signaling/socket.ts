/** The runtime's WebSocket, reduced to what the hub needs; each entry adapts its own. */
export interface SocketLike {
  send(data: string): void;
  close(code: number, reason: string): void;
  /** Bytes queued and not yet written; used to shed load to slow receivers. */
  readonly bufferedAmount: number;
  /** Sends a protocol-level ping where the runtime can; the entry reports pongs via `alive()`. */
  ping?(): void;
}

/** What the entry calls back into for one accepted socket. */
export interface Connection {
  /** A text frame arrived; `bytes` is its UTF-8 size. */
  message(data: string, bytes: number): void;
  /** A binary frame arrived (refused: the protocol is JSON text). */
  binary(bytes: number): void;
  /** The runtime refused a frame over the size limit itself (it may already be closing: 1009). */
  oversized(): void;
  /** A pong (or any sign of life the runtime sees) arrived. */
  alive(): void;
  /** The socket closed, for whatever reason. */
  closed(): void;
}

export interface ConnectionInfo {
  remoteAddress: string;
}

// RFC 6455 caps a close reason at 123 UTF-8 bytes; ws and Deno throw past it (leaving the socket open).
const MAX_REASON_BYTES = 123;

/** Cuts a close reason to what RFC 6455 allows, on a character boundary. */
export function clipReason(reason: string): string {
  const enc = new TextEncoder();
  if (enc.encode(reason).byteLength <= MAX_REASON_BYTES) return reason;
  let out = '';
  for (const ch of reason) {
    if (enc.encode(out + ch + '…').byteLength > MAX_REASON_BYTES) break;
    out += ch;
  }
  return out + '…';
}
