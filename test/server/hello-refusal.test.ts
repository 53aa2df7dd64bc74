import { describe, expect, it } from 'vitest';
import { createTestApp } from '../helpers/in-process.ts';

/** Sends one frame on a fresh in-process socket and reports how the hub answered. */
async function firstFrame(frame: unknown) {
  const t = await createTestApp();
  const sent: Array<Record<string, unknown>> = [];
  let closed: { code: number; reason: string } | undefined;
  const conn = t.server.relay.accept(
    { send: (d) => void sent.push(JSON.parse(d) as Record<string, unknown>), close: (code, reason) => void (closed = { code, reason }), bufferedAmount: 0 },
    { remoteAddress: '127.0.0.1' },
  );
  const text = JSON.stringify(frame);
  conn.message(text, new TextEncoder().encode(text).byteLength);
  t.server.relay.closeAll(1001, 'test over');
  return { sent, closed };
}

describe('a hello the server cannot read closes 4401 (docs/protocol.md, Handshake)', () => {
  it.each([
    ['an empty token', ''],
    ['a token over 4096 characters', 'x'.repeat(4097)],
    ['a token that is not a string', 42],
  ])('%s: 4401 naming the field, no error frame, no wait for 4408', async (_what, token) => {
    const { sent, closed } = await firstFrame({ type: 'hello', token });
    expect(closed?.code).toBe(4401);
    expect(closed?.reason).toMatch(/^hello: token: /);
    expect(sent).toEqual([]);
  });

  it('an invalid frame of another type before hello still gets an error frame and keeps the socket', async () => {
    const { sent, closed } = await firstFrame({ type: 'warp' });
    expect(sent).toMatchObject([{ type: 'error', code: 'bad-frame', ref: 'warp' }]);
    expect(closed?.code).toBe(1001);
  });
});
