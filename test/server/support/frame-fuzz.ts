import fc from 'fast-check';
import { ClientFrameSchema } from '../../../protocol/index.ts';
import { arbitraryFor, jsonValue } from './schema-arbitrary.ts';

/** One thing a client can put on the wire. */
export type WireAction = { kind: 'text'; data: string } | { kind: 'binary'; bytes: number };

const TYPES = [
  'hello', 'auth', 'offer', 'answer', 'candidate', 'bye', 'relay', 'heartbeat', 'link-report',
  // Server-only and made-up types a client must not get through.
  'welcome', 'peer-joined', 'peer-left', 'auth-ok', 'error', 'task-assigned', 'HELLO', '', 'constructor', '__proto__',
];

/**
 * Frames a hostile or buggy client sends: raw junk, arbitrary JSON, near-valid frames aimed at the
 * given peer ids with the given tokens, and valid frames re-addressed to those peers.
 */
export function wireActions(ctx: { peerIds: string[]; tokens: string[]; maxFrameBytes: number }): fc.Arbitrary<WireAction> {
  const id = fc.oneof(fc.constantFrom(...ctx.peerIds), fc.string({ maxLength: 70 }), jsonValue);
  const text = (a: fc.Arbitrary<unknown>) => a.map((v): WireAction => ({ kind: 'text', data: typeof v === 'string' ? v : JSON.stringify(v) ?? 'undefined' }));
  const structured = fc.record(
    {
      type: fc.oneof(fc.constantFrom(...TYPES), fc.string({ maxLength: 12 })),
      to: id,
      from: id,
      token: fc.oneof(fc.constantFrom(...ctx.tokens), fc.string({ maxLength: 40 })),
      payload: fc.oneof(jsonValue, fc.constant(null), fc.record({ sdp: fc.string(), links: fc.array(jsonValue, { maxLength: 3 }) }, { requiredKeys: [] })),
    },
    { requiredKeys: [] },
  );
  const valid = fc.tuple(arbitraryFor(ClientFrameSchema), fc.constantFrom(...ctx.peerIds), fc.constantFrom(...ctx.tokens)).map(([frame, to, token]) => {
    const f = { ...(frame as Record<string, unknown>) };
    if ('to' in f) f.to = to;
    // A random `from` is a forgery (refused); the structured frames cover that.
    delete f.from;
    if ('token' in f) f.token = token;
    return f;
  });
  return fc.oneof(
    { arbitrary: text(valid), weight: 4 },
    { arbitrary: text(structured), weight: 4 },
    { arbitrary: text(jsonValue), weight: 2 },
    { arbitrary: text(fc.string({ unit: 'binary', maxLength: 200 })), weight: 2 },
    { arbitrary: fc.constant<WireAction>({ kind: 'text', data: JSON.stringify({ type: 'relay', to: ctx.peerIds[0], payload: 'x'.repeat(ctx.maxFrameBytes) }) }), weight: 1 },
    { arbitrary: fc.integer({ min: 0, max: ctx.maxFrameBytes * 2 }).map((bytes): WireAction => ({ kind: 'binary', bytes })), weight: 1 },
  );
}
