import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as protocol from '../../protocol/index.ts';
import { parseJson, validate } from '../../protocol/index.ts';
import { arbitraryFor, jsonValue, nearMissValue, pathsOf, withAt } from './support/schema-arbitrary.ts';

// ≥ 1,000 cases per property per run (the bar); fixed seed in CI would hide new cases.
const RUNS = { numRuns: 1000 };

/** Every valibot schema protocol/index.ts exports: the whole wire contract, as it grows. */
const SCHEMAS = Object.entries(protocol)
  .filter(([name, value]) => name.endsWith('Schema') && typeof value === 'object' && (value as { kind?: string }).kind === 'schema')
  .map(([name, value]) => [name, value as Parameters<typeof validate>[0]] as const);

/** A refusal must name a field and the rule, as `field: rule`. */
function expectWellFormedRefusal(r: ReturnType<typeof validate>) {
  if (r.ok) return;
  expect(typeof r.field).toBe('string');
  expect(r.field.length).toBeGreaterThan(0);
  expect(r.message.startsWith(`${r.field}: `)).toBe(true);
  expect(r.message.length).toBeGreaterThan(r.field.length + 2);
}

const dotted = (path: Array<string | number>) => path.join('.');

describe('protocol validators', () => {
  it('covers the wire contract', () => {
    const names = SCHEMAS.map(([n]) => n);
    for (const n of ['ClientFrameSchema', 'ServerFrameSchema', 'MeshMessageSchema', 'TokenRequestSchema', 'HelloFrameSchema', 'LinkSchema']) {
      expect(names).toContain(n);
    }
  });

  describe.each(SCHEMAS)('%s', (_name, schema) => {
    it('never throws on arbitrary JSON and refuses with field: rule', () => {
      fc.assert(
        fc.property(fc.oneof(jsonValue, fc.jsonValue()), (input) => {
          expectWellFormedRefusal(validate(schema, input));
        }),
        RUNS,
      );
    });

    it('accepts and round-trips valid values through JSON unchanged', () => {
      fc.assert(
        fc.property(arbitraryFor(schema), (value) => {
          const wire = JSON.parse(JSON.stringify(value)) as unknown;
          const r = validate(schema, wire);
          if (!r.ok) throw new Error(`${r.message} for ${JSON.stringify(wire).slice(0, 300)}`);
          expect(r.value).toEqual(wire);
        }),
        RUNS,
      );
    });

    it('refuses near misses at the slot that is wrong, and strips unknown keys', () => {
      let refused = 0;
      fc.assert(
        fc.property(
          arbitraryFor(schema).chain((value) => {
            const wire = JSON.parse(JSON.stringify(value)) as unknown;
            const paths = pathsOf(wire);
            return fc.tuple(fc.constant(wire), paths.length ? fc.constantFrom(...paths) : fc.constant<Array<string | number>>([]), nearMissValue);
          }),
          ([wire, path, bad]) => {
            const mutated = withAt(wire, path, bad);
            const r = validate(schema, mutated);
            expectWellFormedRefusal(r);
            if (!r.ok) refused += 1;
            if (!r.ok && path.length && r.field !== '(root)' && path.at(-1) !== 'type') {
              // The first problem is at the slot we broke, inside it, or at a union/array holding it.
              const [a, b] = [dotted(path), r.field];
              expect(a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`), `broke ${a}, refused ${b}`).toBe(true);
            }
            if (r.ok && mutated && typeof mutated === 'object' && !Array.isArray(mutated) && !Array.isArray(r.value)) {
              const extra = { ...(mutated as object), zzUnknownKey: 'must not pass through' };
              const again = validate(schema, extra);
              if (again.ok && typeof again.value === 'object' && again.value !== null && !('zzUnknownKey' in (wire as object))) {
                // Records keep arbitrary keys by design; objects strip what the schema does not name.
                if ((schema as { type?: string }).type !== 'record') expect(again.value).not.toHaveProperty('zzUnknownKey');
              }
            }
          },
        ),
        RUNS,
      );
      // The generator must actually produce near misses, not only values that still pass.
      expect(refused).toBeGreaterThan(RUNS.numRuns / 20);
    });
  });
});

describe('parseJson', () => {
  it('never throws and returns undefined exactly for text JSON.parse rejects', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.json(), fc.string()), (text) => {
        let expected: unknown;
        try {
          expected = JSON.parse(text);
        } catch {
          expected = undefined;
        }
        expect(parseJson(text)).toEqual(expected);
      }),
      RUNS,
    );
  });
});

describe('ClientFrameSchema specifics', () => {
  it('names the rule for a too-long SDP, a bad peer id and an unknown type', () => {
    const sdp = validate(protocol.ClientFrameSchema, { type: 'offer', to: 'b', payload: { sdp: 'x'.repeat(60_001) } });
    expect(sdp).toMatchObject({ ok: false, field: 'payload.sdp', message: 'payload.sdp: must be at most 60000 characters' });
    const to = validate(protocol.ClientFrameSchema, { type: 'relay', to: '-starts-with-dash', payload: {} });
    expect(to).toMatchObject({ ok: false, field: 'to' });
    const type = validate(protocol.ClientFrameSchema, { type: 'welcome' });
    expect(type).toMatchObject({ ok: false, field: 'type', message: expect.stringMatching(/^type: must be one of hello, auth, offer/) });
    const links = validate(protocol.ClientFrameSchema, {
      type: 'link-report', payload: { links: Array.from({ length: 513 }, () => ({ peer: 'p', state: 'open', tier: 'direct' })) },
    });
    expect(links).toMatchObject({ ok: false, field: 'payload.links', message: 'payload.links: must have at most 512 links' });
  });
});
