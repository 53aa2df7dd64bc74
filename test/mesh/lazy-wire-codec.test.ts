import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { TEXT_ATTACHMENT_MIN_CHARS, type MeshMessage } from '../../protocol/index.ts';
import { makeMessage } from '../../web/mesh/calls/message-factory.ts';
import { flatBytes as flat } from '../helpers/message-bytes.ts';
import { extractBinary } from '../../web/mesh/channel/binary-values.ts';
import type { DecodeResult } from '../../web/mesh/channel/wire-codec.ts';

type WireCodec = typeof import('../../web/mesh/channel/wire-codec.ts');
type Codec = typeof import('../../web/mesh/channel/message-codec.ts');

const request = (input: unknown) => makeMessage('alice', 'bob', 'task-request', { skill: 'echo', input });
const inputOf = (d: DecodeResult) => (d.ok ? ((d.value as MeshMessage).payload as { input: unknown }).input : d.message);

/** wire-codec.ts fresh (its codec not loaded), with message-codec.ts failing to load while `offline()` says so. */
async function fresh(offline = () => false): Promise<{ wire: WireCodec; codec: Codec }> {
  vi.resetModules();
  vi.doMock('../../web/mesh/channel/message-codec.ts', async (original) => {
    if (offline()) throw new Error('offline');
    return original();
  });
  const wire = await import('../../web/mesh/channel/wire-codec.ts');
  return { wire, codec: await vi.importActual<Codec>('../../web/mesh/channel/message-codec.ts') };
}

const nextTurn = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('the binary message codec loaded on first use', () => {
  it('finds binary values exactly where extractBinary cuts them', () => {
    return fresh().then(({ wire }) => {
      const leaf = fc.oneof(fc.integer(), fc.string(), fc.constant(null), fc.uint8Array({ maxLength: 4 }), fc.constant(new ArrayBuffer(2)), fc.constant(new Date(0)));
      const tree = fc.letrec((t) => ({ node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(t('node'), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 3 }), t('node'), { maxKeys: 3 })) })).node;
      fc.assert(fc.property(tree, (v) => wire.carriesBinary(v) === (extractBinary(v, [], TEXT_ATTACHMENT_MIN_CHARS) !== undefined)));
      let deep: unknown = new Uint8Array(1);
      for (let i = 0; i < 40; i++) deep = [deep];
      expect(wire.carriesBinary(deep)).toBe(extractBinary(deep) !== undefined);
      expect(wire.carriesBinary({ s: 'x'.repeat(TEXT_ATTACHMENT_MIN_CHARS) })).toBe(true);
      expect(wire.carriesBinary(Object.create({ b: new Uint8Array(1) }))).toBe(false);
    });
  });

  it('sends messages in order while the codec loads, and plain ones at once before and after', async () => {
    const { wire, codec } = await fresh();
    const plain = wire.encodeForWire(request({ n: 0 }), 1 << 20);
    expect(plain).not.toBeInstanceOf(Promise);
    const sent: unknown[] = [];
    const msgs = [request({ b: new Uint8Array([1, 2]) }), request({ n: 1 }), request({ n: 2 }), request({ b: new Uint8Array([3]) })];
    await Promise.all(msgs.map((m) => Promise.resolve(wire.encodeForWire(m, 1 << 20)).then((e) => void sent.push(inputOf(codec.decodeMessage(flat(e.bytes)))))));
    expect(sent).toEqual([{ b: new Uint8Array([1, 2]) }, { n: 1 }, { n: 2 }, { b: new Uint8Array([3]) }]);
    await nextTurn();
    expect(wire.encodeForWire(request({ n: 3 }), 1 << 20)).not.toBeInstanceOf(Promise);
    expect(wire.encodeForWire(request({ b: new Uint8Array(1) }), 1 << 20)).not.toBeInstanceOf(Promise);
    // The size check and the peer id still apply on both paths.
    expect(() => wire.encodeForWire(request({ n: 'x'.repeat(100) }), 50, 'bob')).toThrow(expect.objectContaining({ code: 'too-large', peerId: 'bob' }));
  });

  it('decodes what arrives behind an envelope after it, in arrival order', async () => {
    const { wire, codec } = await fresh();
    const out: unknown[] = [];
    const all = new Promise<void>((resolve) => {
      const decode = wire.createWireDecoder((d) => void (out.push(inputOf(d)) === 4 && resolve()));
      const bytes = [request({ n: 0 }), request({ b: new Uint8Array([9]) }), request({ n: 1 }), request({ n: 2 })].map((m) => flat(codec.encodeMessage(m)));
      decode(bytes[0]!);
      expect(out).toEqual([{ n: 0 }]);
      for (const b of bytes.slice(1)) decode(b);
      expect(out).toHaveLength(1);
    });
    await all;
    expect(out).toEqual([{ n: 0 }, { b: new Uint8Array([9]) }, { n: 1 }, { n: 2 }]);
  });

  it('fails the messages a failed load could not carry, keeps the others, and loads again with the next one', async () => {
    let offline = true;
    const { wire, codec } = await fresh(() => offline);
    const binary = wire.encodeForWire(request({ b: new Uint8Array(1) }), 1 << 20);
    const after = wire.encodeForWire(request({ n: 1 }), 1 << 20);
    await expect(binary).rejects.toMatchObject({ code: 'internal', message: expect.stringMatching(/could not load the binary message codec: /) });
    expect(inputOf(codec.decodeMessage(flat((await after).bytes)))).toEqual({ n: 1 });
    const out: unknown[] = [];
    const envelope = flat(codec.encodeMessage(request({ b: new Uint8Array([5]) })));
    let arrived = () => undefined as void;
    const decode = wire.createWireDecoder((d) => void (out.push(inputOf(d)), arrived()));
    await new Promise<void>((resolve) => {
      arrived = () => void (out.length === 2 && resolve());
      decode(envelope);
      decode(flat(codec.encodeMessage(request({ n: 2 }))));
    });
    expect(out[0]).toMatch(/could not load the binary message codec/);
    expect(out[1]).toEqual({ n: 2 });
    offline = false;
    await new Promise<void>((resolve) => {
      arrived = () => void (out.length === 3 && resolve());
      decode(envelope);
    });
    expect(out[2]).toEqual({ b: new Uint8Array([5]) });
    expect(await wire.encodeForWire(request({ b: new Uint8Array(1) }), 1 << 20)).toHaveProperty('length');
  });
});
