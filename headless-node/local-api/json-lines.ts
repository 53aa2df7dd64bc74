// The base64 module itself, not the protocol barrel: clients should not load every schema to start.
import { fromBase64, toBase64 } from '../../protocol/base64.ts';

/** Longest line either side accepts, bytes (a larger payload belongs in a file or a stream of chunks). */
export const DEFAULT_MAX_LINE_BYTES = 8 * 1024 * 1024;

/**
 * Splits a byte stream into lines of at most `maxBytes`. A longer line is reported once through
 * `onOversize` and skipped up to its newline, so one bad request costs only itself.
 */
export function createLineSplitter(maxBytes: number, onLine: (line: string) => void, onOversize: (bytes: number) => void): (chunk: Buffer) => void {
  let parts: Buffer[] = [];
  let size = 0;
  let skipping = false;
  return (chunk) => {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (!skipping) {
        size += piece.length;
        if (size > maxBytes) {
          skipping = true;
          parts = [];
          onOversize(size);
        } else parts.push(piece);
      }
      if (nl === -1) return;
      if (!skipping) {
        const line = Buffer.concat(parts).toString('utf8').trim();
        if (line) onLine(line);
      }
      parts = [];
      size = 0;
      skipping = false;
      start = nl + 1;
    }
  };
}

/** JSON has no bytes: binary values travel as `{"$base64": "..."}` (docs/local-api.md). */
export function binaryAsBase64(_key: string, value: unknown): unknown {
  if (value instanceof ArrayBuffer) return { $base64: toBase64(new Uint8Array(value)) };
  return value instanceof Uint8Array ? { $base64: toBase64(value) } : value;
}

/** The reverse of `binaryAsBase64`, for JSON.parse. */
export function base64AsBinary(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const keys = Object.keys(value);
    const b64 = (value as { $base64?: unknown }).$base64;
    if (keys.length === 1 && typeof b64 === 'string') return fromBase64(b64) ?? value;
  }
  return value;
}

/** One line of JSON with binary values as base64. */
export const toJsonLine = (value: unknown): string => `${JSON.stringify(value, binaryAsBase64)}\n`;

/** Parses one line (binary values revived); `undefined` marks bad JSON. */
export function parseJsonLine(line: string): unknown {
  try {
    return JSON.parse(line, base64AsBinary) as unknown;
  } catch {
    return undefined;
  }
}
