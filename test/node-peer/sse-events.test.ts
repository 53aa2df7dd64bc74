import { describe, expect, it } from 'vitest';
import { readSseEvents, type SseEvent } from '../../web/agents/skills/sse-events.ts';

function streamOf(parts: string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const p of parts) controller.enqueue(enc.encode(p));
      controller.close();
    },
  });
}

async function collect(parts: string[], max?: number): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of readSseEvents(streamOf(parts), max)) out.push(e);
  return out;
}

describe('readSseEvents', () => {
  it('parses events split at arbitrary byte positions, with comments and CRLF', async () => {
    const text = ': keep-alive\r\ndata: {"a":1}\r\n\r\nevent: note\ndata: line1\ndata: line2\n\ndata:no-space\r\rdata: [DONE]\n\n';
    const expected = [
      { event: 'message', data: '{"a":1}' },
      { event: 'note', data: 'line1\nline2' },
      { event: 'message', data: 'no-space' },
      { event: 'message', data: '[DONE]' },
    ];
    expect(await collect([text])).toEqual(expected);
    for (let cut = 1; cut < text.length; cut++) {
      expect(await collect([text.slice(0, cut), text.slice(cut)])).toEqual(expected);
    }
  });

  it('keeps multi-byte characters split across reads intact', async () => {
    const bytes = new TextEncoder().encode('data: héllo ✓\n\n');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(new Uint8Array([b]));
        c.close();
      },
    });
    const out: SseEvent[] = [];
    for await (const e of readSseEvents(stream)) out.push(e);
    expect(out).toEqual([{ event: 'message', data: 'héllo ✓' }]);
  });

  it('emits a final event without a trailing blank line', async () => {
    expect(await collect(['data: last'])).toEqual([{ event: 'message', data: 'last' }]);
  });

  it('refuses an event larger than the limit instead of buffering it', async () => {
    await expect(collect([`data: ${'x'.repeat(100)}\n`], 50)).rejects.toThrow(/exceeds 50 bytes/);
    await expect(collect(['data: ' + 'y'.repeat(100)], 50)).rejects.toThrow(/exceeds 50 bytes/);
  });
});
