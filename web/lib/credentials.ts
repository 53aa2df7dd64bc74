import type { Identity } from '../../protocol/identity.ts';
import { MeshError } from '../mesh/errors.ts';
import { createAuthedFetch, type AuthedFetch } from './authed-api.ts';
import { ApiError } from '../../protocol/api-client.ts';
import { createTokenSource } from './token-source.ts';
import type { OptionProblem } from './option-errors.ts';

/** The TypeError for a bad option; its words load only when one is thrown (option-errors.ts). */
export const optionError = async (problem: OptionProblem, value?: unknown): Promise<TypeError> => (await import('./option-errors.ts')).optionError(problem, value);

/** How a page proves it may join: exactly one of these. */
export interface CredentialOptions {
  /** An invite or 6-digit pairing code: redeemed, then (unless the invite auto-approves) an admin approves. */
  invite?: string;
  /** A device token from an earlier pairing (`peer.deviceToken`), with the same identity as then. */
  deviceToken?: string;
  /** An API key (`TABMESH_API_KEYS`). */
  apiKey?: string;
  /** Your own source of JWTs for this peer (`sub` must be the identity's peer id). */
  getToken?: () => Promise<string>;
}

export interface ResolvedCredentials {
  getToken(): Promise<string>;
  api: AuthedFetch;
  /** Set when this join paired by invite: keep it (with the identity) to join again without a code. */
  deviceToken?: string;
  deviceId?: string;
}

/** A refused credential must stop the mesh's retries; anything else is worth retrying. */
export function tokenError(err: unknown): MeshError {
  if (err instanceof MeshError) return err;
  if (err instanceof ApiError && (err.status === 401 || err.status === 403) && err.code !== 'bad-signature') {
    return new MeshError(err.code === 'revoked' ? 'revoked' : 'unauthorized', err.message, { retryable: false });
  }
  return new MeshError('token-failed', (err as Error).message);
}

/** Rejects with a TypeError unless exactly one credential is given (checked before anything is spent, e.g. an invite). */
export async function checkCredentialOptions(o: CredentialOptions): Promise<void> {
  const given = (['invite', 'deviceToken', 'apiKey', 'getToken'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) throw await optionError('credentials', given);
  if (o.getToken !== undefined && typeof o.getToken !== 'function') throw await optionError('getToken');
  for (const k of ['invite', 'deviceToken', 'apiKey'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) throw await optionError('emptyCredential', k);
  }
}

/**
 * Turns the page's credential option into a token source: pairs first when given an invite
 * (`onPairing` hears when it waits for an admin). Throws a TypeError unless exactly one is set.
 */
export async function resolveCredentials(
  o: CredentialOptions,
  ctx: { identity: Identity; base: string; name?: string | undefined; signal?: AbortSignal | undefined; onPairing?: ((e: { status: 'waiting'; requestId: string }) => void) | undefined },
): Promise<ResolvedCredentials> {
  await checkCredentialOptions(o);
  if (o.getToken) {
    const getToken = o.getToken;
    return { getToken: () => getToken().catch((err: unknown) => Promise.reject(tokenError(err))), api: createAuthedFetch({ getToken }, ctx.base) };
  }
  let secret = o.deviceToken ?? o.apiKey;
  let paired: { deviceToken: string; deviceId: string } | undefined;
  if (o.invite !== undefined) {
    paired = await (await import('./invite-pairing.ts')).pairByInvite(o.invite, ctx);
    secret = paired.deviceToken;
  }
  if (secret === undefined) throw await optionError('noCredential');
  const tokens = createTokenSource({ secret }, ctx.identity, () => undefined, ctx.base);
  return {
    getToken: () => tokens.getToken().catch((err: unknown) => Promise.reject(tokenError(err))),
    api: createAuthedFetch(tokens, ctx.base),
    ...(paired ?? {}),
  };
}
