import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENVELOPE_KIND, MAX_ATTACHMENTS, MeshMessageSchema, TEXT_ATTACHMENT_MIN_CHARS, validate, type MeshMessage } from '../../protocol/index.ts';
import { extractBinary, insertAt, transferablesOf } from '../../web/mesh/channel/binary-values.ts';
import { encodeFrames } from '../../web/mesh/channel/framing.ts';
import { makeMessage } from '../../web/mesh/calls/message-factory.ts';
import { flatBytes as flat } from '../helpers/message-bytes.ts';
import { decodeMessage, encodeMessage } from '../../web/mesh/channel/message-codec.ts';

/** Vitest compares ArrayBuffers by identity only: compare their bytes (and the type) instead. */
function canon(v: unknown): unknown {
  if (v instanceof ArrayBuffer) return { ArrayBuffer: [...new Uint8Array(v)] };
  if (v instanceof Uint8Array) return { Uint8Array: [...v] };
  if (Array.isArray(v)) return v.map(canon);
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, canon(x)]));
  return v;
}
const roundTrip = (msg: MeshMessage) => decodeMessage(flat(encodeMessage(msg)));
const request = (input: unknown) => makeMessage('alice', 'bob', 'task-request', { skill: 'echo', input });

/** A hand-made envelope: prefix, header JSON, body bytes. */
function envelope(header: unknown, body: Uint8Array = new Uint8Array(0), headerText = JSON.stringify(header)): Uint8Array {
  const h = new TextEncoder().encode(headerText);
  const out = new Uint8Array(5 + h.length + body.length);
  out[0] = ENVELOPE_KIND;
  new DataView(out.buffer).setUint32(1, h.length);
  out.set(h, 5);
  out.set(body, 5 + h.length);
  return out;
}

describe('message codec: binary values beside the JSON', () => {
  it('keeps a message without binary values plain UTF-8 JSON', () => {
    const msg = request({ i: 1, text: 'hi' });
    const bytes = encodeMessage(msg);
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect(JSON.parse(new TextDecoder().decode(bytes as Uint8Array))).toEqual(msg);
    expect(roundTrip(msg)).toEqual({ ok: true, value: msg });
  });

  it('carries Uint8Array, ArrayBuffer and long strings anywhere in the input, with their types', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => i & 255);
    const buffer = Uint8Array.from([9, 8, 7]).buffer;
    const long = 'é'.repeat(TEXT_ATTACHMENT_MIN_CHARS);
    const input = { name: 'x', bytes, nested: [1, { buffer, long, empty: new Uint8Array(0) }], ['__proto__']: new Uint8Array([1]) };
    Object.defineProperty(input, '__proto__', { value: new Uint8Array([1]), enumerable: true });
    const msg = request(input);
    const parts = encodeMessage(msg);
    expect(Array.isArray(parts)).toBe(true);
    // The sender never copies a Uint8Array: the framer reads it in place.
    expect((parts as Uint8Array[]).includes(bytes)).toBe(true);
    // The caller's value is untouched.
    expect(input.bytes).toBe(bytes);
    const r = roundTrip(msg);
    expect(r.ok).toBe(true);
    const got = (r as { value: { payload: { input: typeof input } } }).value.payload.input;
    expect(got.bytes).toBeInstanceOf(Uint8Array);
    expect([...got.bytes]).toEqual([...bytes]);
    const inner = got.nested[1] as { buffer: ArrayBuffer; long: string; empty: Uint8Array };
    expect(inner.buffer).toBeInstanceOf(ArrayBuffer);
    expect([...new Uint8Array(inner.buffer)]).toEqual([9, 8, 7]);
    expect(inner.long).toBe(long);
    expect(inner.empty).toEqual(new Uint8Array(0));
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(got, '__proto__')?.value).toEqual(new Uint8Array([1]));
    expect(validate(MeshMessageSchema, (r as { value: unknown }).value).ok).toBe(true);
  });

  it('carries a bare binary output and stream chunk data, not other message types', () => {
    const out = makeMessage('bob', 'alice', 'task-result', { output: new Uint8Array([1, 2, 3]) });
    expect((roundTrip(out) as { value: { payload: { output: unknown } } }).value.payload.output).toEqual(new Uint8Array([1, 2, 3]));
    const chunk = makeMessage('bob', 'alice', 'task-chunk', { seq: 0, data: [new Uint8Array([4])] });
    expect((roundTrip(chunk) as { value: { payload: { data: unknown } } }).value.payload.data).toEqual([new Uint8Array([4])]);
    // Binary values elsewhere are plain JSON as before (an ordinary object of indices).
    const status = makeMessage('bob', 'alice', 'chat', { text: 'x'.repeat(TEXT_ATTACHMENT_MIN_CHARS) });
    expect(encodeMessage(status)).toBeInstanceOf(Uint8Array);
  });

  it('refuses more than the attachment limit and unserializable values with bad-message', () => {
    const many = Array.from({ length: MAX_ATTACHMENTS + 1 }, () => new Uint8Array(1));
    expect(() => encodeMessage(request(many))).toThrow(expect.objectContaining({ code: 'bad-message' }));
    expect(() => encodeMessage(request({ b: new Uint8Array(1), n: 10n }))).toThrow(expect.objectContaining({ code: 'bad-message' }));
  });

  it('lists the transferable buffers once each', () => {
    const buf = new ArrayBuffer(8);
    expect(transferablesOf({ a: new Uint8Array(buf, 0, 4), b: new Uint8Array(buf, 4), c: buf, d: 'x' })).toEqual([buf]);
    expect(transferablesOf('plain')).toEqual([]);
  });

  it('rejects malformed envelopes with a reason, naming the request when it can', () => {
    const msg = { ...request(null), payload: { skill: 'echo', input: { a: null } } };
    const ok = { v: 1, msg, att: [{ at: ['payload', 'input', 'a'], bytes: 2, kind: 'bytes' }] };
    expect(decodeMessage(envelope(ok, new Uint8Array([1, 2])))).toMatchObject({ ok: true });
    const cases: Array<[Uint8Array, RegExp, boolean]> = [
      [new Uint8Array([ENVELOPE_KIND, 0, 0]), /shorter than its 5-byte prefix/, false],
      [envelope(ok, new Uint8Array(2)).subarray(0, 20), /overruns/, false],
      [envelope(null, undefined, '{nope'), /header/, false],
      [envelope({ ...ok, att: [] }), /att: must list at least one/, false],
      [envelope(ok, new Uint8Array([1])), /declare 2 bytes, the message carries 1/, true],
      [envelope(ok, new Uint8Array([1, 2, 3])), /declare 2 bytes, the message carries 3/, true],
      [envelope({ ...ok, att: [{ ...ok.att[0], at: ['payload', 'skill'] }] }, new Uint8Array(2)), /must start with "payload", "input"/, true],
      [envelope({ ...ok, att: [{ ...ok.att[0], at: ['payload', 'input', 'b'] }] }, new Uint8Array(2)), /payload.input.b does not exist/, true],
      [envelope({ ...ok, att: [{ ...ok.att[0], at: ['payload', 'input', 'a', 0] }] }, new Uint8Array(2)), /is not an object or array/, true],
      [envelope({ ...ok, att: [ok.att[0], ok.att[0]] }, new Uint8Array(4)), /is not a null placeholder/, true],
      [envelope({ ...ok, att: [{ ...ok.att[0], kind: 'text' }] }, new Uint8Array([0xff, 0xfe])), /not UTF-8/, true],
      [envelope({ ...ok, att: [{ ...ok.att[0], kind: 'blob' }] }, new Uint8Array(2)), /kind/, false],
      [envelope({ ...ok, msg: { ...msg, type: 'ping' } }, new Uint8Array(2)), /"ping" message carries no attachments/, true],
      [envelope({ ...ok, att: [{ ...ok.att[0], at: ['payload', 'input', ...Array(40).fill('x')] }] }, new Uint8Array(2)), /at: must be at most/, false],
    ];
    for (const [bytes, reason, named] of cases) {
      const r = decodeMessage(bytes);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.code).toBe('bad-message');
      expect(r.message).toMatch(reason);
      expect((r.raw as { id?: string } | undefined)?.id).toBe(named ? msg.id : undefined);
    }
  });

  it('fuzz: decodes every clean envelope to its input, never throws on a mutated one (2,000 cases)', () => {
    const value = fc.letrec((tie) => ({
      leaf: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ maxLength: 8 }).map((u) => u.slice().buffer), fc.string({ maxLength: 8 }), fc.integer(), fc.constant(null)),
      node: fc.oneof({ depthSize: 'small' }, tie('leaf'), fc.array(tie('node'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 4 }), tie('node'), { maxKeys: 3 })),
    })).node;
    const mutation = fc.record({ at: fc.nat(), byte: fc.nat(255), cut: fc.nat() });
    fc.assert(
      fc.property(value, fc.array(mutation, { maxLength: 3 }), fc.boolean(), (input, mutations, truncate) => {
        const bytes = flat(encodeMessage(request(input))).slice();
        const clean = decodeMessage(bytes.slice());
        expect(clean.ok).toBe(true);
        expect(canon((clean as { value: { payload: { input: unknown } } }).value.payload.input)).toEqual(canon(input));
        for (const m of mutations) bytes[m.at % bytes.length] = m.byte;
        const broken = truncate && mutations[0] ? bytes.subarray(0, mutations[0].cut % bytes.length) : bytes;
        const r = decodeMessage(broken);
        expect(typeof r.ok).toBe('boolean');
        if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('fuzz: random bytes behind the envelope kind byte are refused, never thrown (2,000 cases)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(300), (tail, headerLength) => {
        const bytes = new Uint8Array(5 + tail.length);
        bytes[0] = ENVELOPE_KIND;
        new DataView(bytes.buffer).setUint32(1, headerLength);
        bytes.set(tail, 5);
        expect(decodeMessage(bytes).ok).toBe(false);
      }),
      { numRuns: 2000 },
    );
  });

  it('frames an envelope from its parts without joining them', () => {
    const parts = encodeMessage(request({ a: new Uint8Array(50_000).fill(7), b: new Uint8Array(3).fill(1) }));
    const frames = [...encodeFrames(1, parts, 1000)];
    expect(frames.every((f) => f.length <= 1000)).toBe(true);
    const joined = flat(frames.map((f) => f.subarray(10)));
    expect(joined).toEqual(flat(parts));
    // Into one scratch buffer (as the channel sender does): the same frames, when each is used at once.
    const scratch = new Uint8Array(1000);
    const copied: Uint8Array[] = [];
    for (const f of encodeFrames(1, parts, 1000, scratch)) {
      expect(f.buffer).toBe(scratch.buffer);
      copied.push(f.slice());
    }
    expect(copied).toEqual(frames);
  });

  it('puts values back only where a null placeholder is', () => {
    const root = { a: [null, { b: null }] };
    expect(insertAt(root, ['a', 1, 'b'], 5)).toBeUndefined();
    expect(root).toEqual({ a: [null, { b: 5 }] });
    expect(insertAt(root, ['a', '0'], 5)).toMatch(/does not exist/);
    expect(insertAt(root, ['a', 2], 5)).toMatch(/does not exist/);
    expect(insertAt(root, ['toString'], 5)).toMatch(/does not exist/);
    expect(extractBinary({ deep: 'x' })).toBeUndefined();
  });
});
