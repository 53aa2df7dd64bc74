/** One server-sent event: its `event` name (default "message") and joined `data` lines. */
export interface SseEvent {
  event: string;
  data: string;
}

/**
 * Parses a `text/event-stream` body into events (WHATWG rules: `data:` lines joined by "\n",
 * comments and unknown fields ignored, CR/LF/CRLF line ends, chunk boundaries anywhere).
 * `maxEventBytes` (default 1 MiB) bounds what one event may buffer.
 */
export async function* readSseEvents(body: ReadableStream<Uint8Array>, maxEventBytes = 1 << 20): AsyncGenerator<SseEvent> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = '';
  let data: string[] = [];
  let size = 0;
  let event = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let lineEnd: number;
      // A lone trailing "\r" may be half of "\r\n": wait for the next read unless the stream ended.
      while ((lineEnd = findLineEnd(buffer, done)) >= 0) {
        const line = buffer.slice(0, lineEnd);
        buffer = buffer.slice(buffer[lineEnd] === '\r' && buffer[lineEnd + 1] === '\n' ? lineEnd + 2 : lineEnd + 1);
        if (line === '') {
          if (data.length) yield { event: event || 'message', data: data.join('\n') };
          data = [];
          size = 0;
          event = '';
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const raw = colon < 0 ? '' : line.slice(colon + 1);
        const val = raw.startsWith(' ') ? raw.slice(1) : raw;
        if (field === 'data') {
          size += val.length;
          if (size > maxEventBytes) throw new Error(`event stream: an event exceeds ${maxEventBytes} bytes`);
          data.push(val);
        } else if (field === 'event') event = val;
      }
      if (buffer.length > maxEventBytes) throw new Error(`event stream: a line exceeds ${maxEventBytes} bytes`);
      if (done) {
        if (data.length) yield { event: event || 'message', data: data.join('\n') };
        return;
      }
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

function findLineEnd(buffer: string, final: boolean): number {
  for (let i = 0; i < buffer.length; i++) {
    const c = buffer[i];
    if (c === '\n') return i;
    if (c === '\r') return i + 1 < buffer.length || final ? i : -1;
  }
  // At end of stream an unterminated last line still counts (lenient toward abrupt servers).
  return final && buffer.length ? buffer.length : -1;
}
