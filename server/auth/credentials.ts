import { createHash } from 'node:crypto';
import type { ApiKeyEntry } from '../config.ts';
import type { Role } from '../../protocol/index.ts';

/** What a presented API key or device token stands for. */
export interface Credential {
  /** Stable id for revocation and logs (never the secret itself). */
  cid: string;
  role: Role;
  mesh: string;
}

/** Looks up a presented secret; `undefined` when unknown. Implementations must not leak timing. */
export type CredentialVerifier = (presented: string) => Promise<Credential | undefined>;

/**
 * Hex SHA-256 of a UTF-8 string. node:crypto (Node and Deno), not WebCrypto: on Node 20 each
 * `crypto.subtle.digest` cost ~0.2 ms of server CPU (a thread-pool job), and every token request
 * hashes the presented key.
 */
export async function sha256Hex(text: string): Promise<string> {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** Compares two equal-length hex digests without an early exit. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/**
 * Verifier for configured API keys. Secrets are hashed first so every comparison has the same
 * length, and every entry is compared so the time does not reveal which one matched.
 */
export async function createApiKeyVerifier(entries: ApiKeyEntry[]): Promise<CredentialVerifier> {
  const hashed = await Promise.all(entries.map(async (e) => ({ ...e, hash: await sha256Hex(e.key) })));
  return async (presented) => {
    const hash = await sha256Hex(presented);
    let found: (typeof hashed)[number] | undefined;
    for (const e of hashed) if (constantTimeEqual(e.hash, hash) && !found) found = e;
    return found && { cid: `key-${found.hash.slice(0, 12)}`, role: found.role, mesh: found.mesh };
  };
}

/** Tries verifiers in order (API keys, then device tokens); the first match wins. */
export function chainVerifiers(...verifiers: CredentialVerifier[]): CredentialVerifier {
  return async (presented) => {
    for (const verify of verifiers) {
      const c = await verify(presented);
      if (c) return c;
    }
    return undefined;
  };
}
