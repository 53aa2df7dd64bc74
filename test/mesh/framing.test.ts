import { describe, expect, it } from 'vitest';
import { createBackoff } from '../../protocol/backoff.ts';
import { createReassembler, decodeJson, encodeFrames, encodeJson, FRAME_HEADER_BYTES, MAX_FRAME_BYTES } from '../../web/mesh/channel/framing.ts';

describe('framing', () => {
  it('splits into frames of at most 16 KiB with the header, and reassembles', () => {
    const msg = new Uint8Array(40_000).map((_, i) => i % 251);
    const frames = [...encodeFrames(7, msg)];
    expect(frames).toHaveLength(3);
    expect(frames.every((f) => f.length <= MAX_FRAME_BYTES)).toBe(true);
    expect([...frames[0]!.subarray(0, FRAME_HEADER_BYTES)]).toEqual([1, 0x01, 0, 0, 0, 7, 0, 0, 0x9c, 0x40]);
    expect(frames[1]![1]).toBe(0);
    expect(frames[2]![1]).toBe(0x02);
    const r = createReassembler();
    expect(r.push(frames[0]!)).toEqual({ ok: true });
    expect(r.bufferedBytes).toBe(40_000);
    r.push(frames[1]!);
    const last = r.push(frames[2]!);
    expect(last.ok && last.message).toEqual(msg);
    expect(r.bufferedBytes).toBe(0);
  });

  it('sends an empty and a one-frame message as a single FIRST|LAST frame', () => {
    for (const size of [0, MAX_FRAME_BYTES - FRAME_HEADER_BYTES]) {
      const frames = [...encodeFrames(1, new Uint8Array(size))];
      expect(frames).toHaveLength(1);
      expect(frames[0]![1]).toBe(0x03);
    }
  });

  it('refuses messages over the limit before buffering anything', () => {
    const r = createReassembler({ maxMessageBytes: 1000 });
    const [first] = encodeFrames(1, new Uint8Array(5000), 512);
    expect(r.push(first!)).toMatchObject({ ok: false, code: 'too-large' });
    expect(r.bufferedBytes).toBe(0);
  });

  it('caps the bytes held by partial messages together', () => {
    const r = createReassembler({ maxMessageBytes: 1000, maxBufferedBytes: 1500 });
    expect(r.push([...encodeFrames(1, new Uint8Array(900), 100)][0]!).ok).toBe(true);
    expect(r.push([...encodeFrames(2, new Uint8Array(900), 100)][0]!)).toMatchObject({ ok: false, code: 'too-large' });
  });

  it('names what is wrong with a bad frame', () => {
    const r = createReassembler();
    expect(r.push(new Uint8Array(3))).toMatchObject({ ok: false, message: expect.stringContaining('header') });
    const f = [...encodeFrames(1, new Uint8Array(10))][0]!;
    f[0] = 9;
    expect(r.push(f)).toMatchObject({ ok: false, message: 'unsupported frame version 9' });
    const [, second] = encodeFrames(3, new Uint8Array(100), 60);
    expect(r.push(second!)).toMatchObject({ ok: false, message: 'frame for unknown message 3' });
  });

  it('JSON codec rejects invalid UTF-8 and JSON without throwing', () => {
    expect(decodeJson(encodeJson({ a: [1, 'ü'] }))).toEqual({ a: [1, 'ü'] });
    expect(decodeJson(new Uint8Array([0xff, 0xfe]))).toBeUndefined();
    expect(decodeJson(new TextEncoder().encode('{nope'))).toBeUndefined();
  });
});

describe('full-jitter backoff', () => {
  it('draws each delay below a doubling cap and starts over after reset', () => {
    const draws = [0.999, 0.999, 0.999, 0.999, 0.5];
    const b = createBackoff({ baseMs: 100, maxMs: 500, random: () => draws.shift() ?? 0.999 });
    expect([b.next(), b.next(), b.next(), b.next(), b.next()]).toEqual([99, 199, 399, 499, 250]);
    b.reset();
    expect(b.attempt).toBe(0);
    expect(b.next()).toBe(99);
  });
});
