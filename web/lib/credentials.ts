import type { Identity } from '../../protocol/identity.ts';
import { MeshError } from '../mesh/errors.ts';
import { createAuthedFetch, type AuthedFetch } from './authed-api.ts';
import { ApiError } from '../../protocol/api-client.ts';
import { createTokenSource } from './token-source.ts';

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

/** Throws a TypeError unless exactly one credential is given (checked before anything is spent, e.g. an invite). */
export function checkCredentialOptions(o: CredentialOptions): void {
  const given = (['invite', 'deviceToken', 'apiKey', 'getToken'] as const).filter((k) => o[k] !== undefined);
  if (given.length !== 1) throw new TypeError(`joinMesh: give exactly one of invite, deviceToken, apiKey, getToken (got ${given.length ? given.join(', ') : 'none'})`);
  if (o.getToken !== undefined && typeof o.getToken !== 'function') throw new TypeError('joinMesh: getToken must be a function returning a Promise of a JWT');
  for (const k of ['invite', 'deviceToken', 'apiKey'] as const) {
    if (o[k] !== undefined && (typeof o[k] !== 'string' || o[k] === '')) throw new TypeError(`joinMesh: ${k} must be a non-empty string`);
  }
}

/**
 * Turns the page's credential option into a token source: pairs first when given an invite
 * (`onPairing` hears when it waits for an admin). Throws a TypeError unless exactly one is set.
 */
export async function resolveCredentials(
  o: CredentialOptions,
  ctx: { identity: Identity; base: string; name: string; signal?: AbortSignal; onPairing?: (e: { status: 'waiting'; requestId: string }) => void },
): Promise<ResolvedCredentials> {
  checkCredentialOptions(o);
  if (o.getToken) {
    const getToken = o.getToken;
    return { getToken: () => getToken().catch((err: unknown) => Promise.reject(tokenError(err))), api: createAuthedFetch({ getToken }, ctx.base) };
  }
  let secret = o.deviceToken ?? o.apiKey;
  let paired: { deviceToken: string; deviceId: string } | undefined;
  if (o.invite !== undefined) {
    // Pairing happens once per device: later joins use the device token, so it loads on demand.
    const { redeemCode, waitForApproval } = await import('./pairing-client.ts');
    const pending = await redeemCode(o.invite.trim().toUpperCase(), ctx.name, ctx.base);
    ctx.onPairing?.({ status: 'waiting', requestId: pending.requestId });
    const outcome = await waitForApproval(pending, ctx.signal ?? new AbortController().signal, ctx.base);
    if (outcome.status !== 'approved') throw new MeshError('unauthorized', `pairing ${outcome.status}`, { retryable: false });
    paired = { deviceToken: outcome.deviceToken, deviceId: outcome.deviceId };
    secret = outcome.deviceToken;
  }
  if (secret === undefined) throw new TypeError('joinMesh: no credential');
  const tokens = createTokenSource({ secret }, ctx.identity, () => undefined, ctx.base);
  return {
    getToken: () => tokens.getToken().catch((err: unknown) => Promise.reject(tokenError(err))),
    api: createAuthedFetch(tokens, ctx.base),
    ...(paired ?? {}),
  };
}
