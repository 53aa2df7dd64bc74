import { messageLength, type MessageBytes } from '../../web/mesh/channel/framing.ts';

/** An encoded message (one buffer or its parts) as one buffer, to compare or decode in tests. */
export function flatBytes(m: MessageBytes): Uint8Array {
  if (m instanceof Uint8Array) return m;
  const out = new Uint8Array(messageLength(m));
  let at = 0;
  for (const p of m) (out.set(p, at), (at += p.length));
  return out;
}
