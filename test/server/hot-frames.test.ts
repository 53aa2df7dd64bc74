import fc from 'fast-check';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import {
  acceptNegotiationFrame, AnswerFrameSchema, CandidateFrameSchema, ClientFrameSchema, keptEveryKey, NEGOTIATION_LIMITS as L, OfferFrameSchema,
} from '../../protocol/index.ts';
import { arbitraryFor, jsonValue, nearMissValue, pathsOf, withAt } from './support/schema-arbitrary.ts';

// ≥ 1,000 cases per property per run, as for every validator.
const RUNS = { numRuns: 2000 };

/** What the server would hand on: the schema's output, or undefined when it refuses. */
function schemaOutput(json: unknown): unknown {
  const r = v.safeParse(ClientFrameSchema, json);
  return r.success ? r.output : undefined;
}

/** The fast path agrees with the schema: same output (keys in the same order) or it defers. */
function expectAgreement(json: unknown) {
  const fast = acceptNegotiationFrame(json);
  if (fast === undefined) return;
  // JSON text compares values and key order; toEqual covers what text hides (-0 stays -0 both ways).
  expect(JSON.stringify(fast)).toBe(JSON.stringify(schemaOutput(json)));
  expect(fast).toEqual(schemaOutput(json));
}

const roundTrip = (x: unknown) => JSON.parse(JSON.stringify(x)) as unknown;
const negotiation = fc.oneof(arbitraryFor(OfferFrameSchema), arbitraryFor(AnswerFrameSchema), arbitraryFor(CandidateFrameSchema)).map(roundTrip);

/** A valid frame with one slot replaced by a near miss (or deleted), or an unknown key added. */
const mutated = negotiation.chain((frame) => {
  const paths = pathsOf(frame);
  return fc.oneof(
    fc.tuple(fc.constantFrom(...paths), nearMissValue).map(([path, value]) => withAt(frame, path, value)),
    fc.tuple(fc.constantFrom(...paths), fc.string({ maxLength: 12 }), jsonValue).map(([path, key, value]) => withAt(frame, [...path, key], value)),
    fc.tuple(fc.string({ maxLength: 12 }), jsonValue).map(([key, value]) => ({ ...(frame as object), [key]: value })),
  ).map((x) => roundTrip(x ?? null));
});

describe('acceptNegotiationFrame (the relay hot path)', () => {
  it('accepts every valid offer, answer and candidate with exactly the schema output (a candidate batch, `more`, it leaves to the schema)', () => {
    fc.assert(fc.property(negotiation, (frame) => {
      const batch = (frame as { payload?: { more?: unknown } | null }).payload?.more !== undefined;
      if (batch) expect(acceptNegotiationFrame(frame)).toBeUndefined();
      else expect(acceptNegotiationFrame(frame)).toBeDefined();
      expectAgreement(frame);
    }), RUNS);
  });

  it('never accepts what the schema refuses, and never outputs differently, on near misses', () => {
    let refusedBySchema = 0;
    fc.assert(fc.property(mutated, (frame) => {
      if (schemaOutput(frame) === undefined) {
        refusedBySchema++;
        expect(acceptNegotiationFrame(frame)).toBeUndefined();
      }
      expectAgreement(frame);
    }), RUNS);
    // The mutations must really exercise refusals, not only harmless extra keys.
    expect(refusedBySchema).toBeGreaterThan(RUNS.numRuns / 4);
  });

  it('defers every other frame type and arbitrary JSON to the schema', () => {
    fc.assert(fc.property(fc.oneof(arbitraryFor(ClientFrameSchema).map(roundTrip), fc.jsonValue()), (json) => {
      const type = (json as { type?: unknown } | null)?.type;
      if (type !== 'offer' && type !== 'answer' && type !== 'candidate') expect(acceptNegotiationFrame(json)).toBeUndefined();
      expectAgreement(json);
    }), RUNS);
  });

  it('holds at every limit and rule', () => {
    const offer = (payload: unknown, extra: object = {}) => ({ type: 'offer', to: 'bob', payload, ...extra });
    const cand = (payload: unknown) => ({ type: 'candidate', to: 'bob', payload });
    const cases: unknown[] = [
      offer({ sdp: 'x'.repeat(L.sdp) }), offer({ sdp: 'x'.repeat(L.sdp + 1) }), offer({ sdp: '' }), offer(null), offer({ sdp: 1 }),
      offer({ sdp: 'v=0', sid: 'a'.repeat(L.sid) }), offer({ sdp: 'v=0', sid: 'a'.repeat(L.sid + 1) }), offer({ sdp: 'v=0', sid: 'a b' }),
      offer({ sdp: 'v=0', sid: '' }), offer({ sdp: 'v=0', sid: null }), offer({ sdp: 'v=0', iceRestart: 'true' }), offer({ sdp: 'v=0', iceRestart: false }),
      offer({ sdp: 'v=0', repair: true }), offer({ sdp: 'v=0', repair: 'yes' }), offer({ sdp: 'v=0', repair: null }),
      offer({ sdp: 'v=0' }, { from: 'alice' }), offer({ sdp: 'v=0' }, { from: '' }), offer({ sdp: 'v=0' }, { from: null }), offer({ sdp: 'v=0' }, { to: '-x' }),
      offer({ sdp: 'v=0' }, { to: 'a'.repeat(65) }), offer({ sdp: 'v=0' }, { to: 'a'.repeat(64) }), [offer({ sdp: 'v=0' })],
      cand(null), cand({ candidate: '' }), cand({ candidate: 'x'.repeat(L.candidate + 1) }), cand({ candidate: 'x'.repeat(L.candidate) }),
      cand({ candidate: 'c', sdpMid: null, sdpMLineIndex: null }), cand({ candidate: 'c', sdpMid: 'x'.repeat(L.sdpMid + 1) }),
      cand({ candidate: 'c', sdpMLineIndex: L.sdpMLineIndex }), cand({ candidate: 'c', sdpMLineIndex: L.sdpMLineIndex + 1 }),
      cand({ candidate: 'c', sdpMLineIndex: -1 }), cand({ candidate: 'c', sdpMLineIndex: 0.5 }), cand({ candidate: 'c', sdpMLineIndex: -0 }),
      cand({ candidate: 'c', sdpMLineIndex: '0' }), cand({ sdpMid: '0' }), cand([]), cand('candidate:1'),
      JSON.parse('{"type":"answer","to":"bob","payload":{"sdp":"v=0"},"__proto__":{"from":"mallory"}}'),
    ];
    let accepted = 0;
    for (const json of cases) {
      expect(acceptNegotiationFrame(json) === undefined || schemaOutput(json) !== undefined, JSON.stringify(json)?.slice(0, 120)).toBe(true);
      if (schemaOutput(json) === undefined) expect(acceptNegotiationFrame(json)).toBeUndefined();
      else accepted++;
      expectAgreement(json);
    }
    expect(accepted).toBeGreaterThan(10);
  });
});

describe('keptEveryKey (may the sender\'s own text be relayed?)', () => {
  it('is true exactly when the schema dropped nothing, at any depth', () => {
    fc.assert(fc.property(fc.oneof(negotiation, mutated, arbitraryFor(ClientFrameSchema).map(roundTrip)), (json) => {
      const out = schemaOutput(json);
      if (out === undefined) return;
      // Dropping nothing means the output serialises to the same value as the input.
      expect(keptEveryKey(out, json)).toBe(JSON.stringify(sortKeys(out)) === JSON.stringify(sortKeys(json)));
    }), RUNS);
  });
});

/** `x` with every object's keys in sorted order, so JSON text compares values only. */
function sortKeys(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(sortKeys);
  if (typeof x !== 'object' || x === null) return x;
  return Object.fromEntries(Object.keys(x).sort().map((k) => [k, sortKeys((x as Record<string, unknown>)[k])]));
}
