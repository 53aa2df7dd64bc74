import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Compact HS256 JWTs with node:crypto (Node and Deno). WebCrypto's HMAC is asynchronous and, on
 * Node 20, costs a thread-pool round trip per call (~0.1 ms of server CPU measured per sign or
 * verify, on every join and every bearer request); this is a few microseconds. Only what tabmesh
 * issues is accepted: header `alg` exactly HS256, no `crit`, a JSON object payload, canonical
 * base64url. Interoperability with jose both ways is tested (test/server/hs256-jwt.test.ts).
 */

const HEADER = base64url(Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })));
const B64URL = /^[A-Za-z0-9_-]*$/;

function base64url(b: Buffer): string {
  return b.toString('base64url');
}

/** Why a compact token was refused: `malformed` (shape, header, encoding) or `signature`. */
export class JwtFormatError extends Error {
  override name = 'JwtFormatError';
  constructor(readonly reason: 'malformed' | 'signature', message: string) {
    super(message);
  }
}

export function signHs256(payload: Record<string, unknown>, key: Uint8Array): string {
  const body = `${HEADER}.${base64url(Buffer.from(JSON.stringify(payload)))}`;
  return `${body}.${base64url(createHmac('sha256', key).update(body).digest())}`;
}

/** The payload of a token signed with `key`; throws JwtFormatError. Claims (exp, …) are the caller's to check. */
export function verifyHs256(token: string, key: Uint8Array): Record<string, unknown> {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => B64URL.test(p))) throw new JwtFormatError('malformed', 'not a compact JWS');
  const [h, p, s] = parts as [string, string, string];
  const expected = createHmac('sha256', key).update(`${h}.${p}`).digest();
  const given = Buffer.from(s, 'base64url');
  // Canonical encoding only: a signature with stray low bits would decode to the same bytes.
  if (given.length !== expected.length || base64url(given) !== s || !timingSafeEqual(given, expected)) {
    throw new JwtFormatError('signature', 'signature does not verify');
  }
  const header = parseObject(h);
  if (header.alg !== 'HS256' || 'crit' in header) throw new JwtFormatError('malformed', 'header must say alg HS256 and carry no crit');
  return parseObject(p);
}

function parseObject(part: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw new JwtFormatError('malformed', 'a part is not base64url JSON');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new JwtFormatError('malformed', 'a part is not a JSON object');
  return v as Record<string, unknown>;
}
