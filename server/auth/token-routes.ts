import type { Hono } from 'hono';
import type { AuthEnv } from '../http/auth-middleware.ts';
import { HttpError } from '../http/http-error.ts';
import { readJson } from '../http/read-json.ts';
import { CLIENT_NONCE_WINDOW_MS, TokenRequestSchema, tokenProofText, type TokenResponse } from '../../protocol/index.ts';
import { peerIdForKeySync, verifyTextSync } from './key-proof.ts';
import type { Credential, CredentialVerifier } from './credentials.ts';
import type { NonceService } from './nonces.ts';
import type { TokenService } from './tokens.ts';

/** `POST /api/token/nonce` and `POST /api/token`: credential + proof of the peer id's key → JWT. */
export function mountTokenRoutes(
  api: Hono<AuthEnv>,
  deps: { tokens: TokenService; nonces: NonceService; verifyCredential: CredentialVerifier; isRevoked(cid: string): Promise<boolean> },
): void {
  const credential = async (key: string | undefined): Promise<Credential> => {
    if (!key) throw new HttpError(401, 'unauthorized', 'missing X-API-Key header');
    const cred = await deps.verifyCredential(key);
    if (!cred) throw new HttpError(401, 'unauthorized', 'unknown API key or device token');
    if (await deps.isRevoked(cred.cid)) throw new HttpError(403, 'revoked', 'credential has been revoked');
    return cred;
  };

  api.post('/token/nonce', async (c) => {
    await credential(c.req.header('x-api-key'));
    return c.json(await deps.nonces.issue());
  });

  api.post('/token', async (c) => {
    // Credential first: an unknown caller learns nothing about what a valid body looks like.
    const cred = await credential(c.req.header('x-api-key'));
    const body = await readJson(c, TokenRequestSchema, 4096);
    // The schema already refused plain names: a token's subject is always the id of a proven key.
    const proof = body.identity;
    if (!proof) throw new HttpError(400, 'identity-required', 'identity: is required (a nonce from POST /api/token/nonce signed with the key behind peerId)');
    if (peerIdForKeySync(proof.publicKey) !== body.peerId) {
      throw new HttpError(400, 'identity-mismatch', 'identity.publicKey: its hash is not this peerId');
    }
    const nonce = await deps.nonces.consume(proof.nonce);
    if (nonce === 'clock') throw new HttpError(400, 'nonce-clock', `identity.nonce: a client nonce must carry a time within ${CLIENT_NONCE_WINDOW_MS / 1000} s of the server clock; use one from POST /api/token/nonce`);
    if (nonce !== 'ok') throw new HttpError(400, 'bad-nonce', 'identity.nonce: unknown, expired or already used');
    if (!verifyTextSync(proof.publicKey, tokenProofText(proof.nonce, body.peerId), proof.signature)) {
      throw new HttpError(401, 'bad-signature', 'identity.signature: does not verify with identity.publicKey');
    }
    const issued = await deps.tokens.issue({ sub: body.peerId, role: cred.role, mesh: cred.mesh, cid: cred.cid });
    const res: TokenResponse = { ...issued, peerId: body.peerId, role: cred.role, mesh: cred.mesh, verified: true };
    return c.json(res);
  });
}
