import { generateIdentity, signText, tokenProofText } from '../../protocol/index.ts';

/** A token for a key-derived peer id with proof of possession (POST /api/token/nonce, then /api/token). */
export async function provenToken(url: string, apiKey: string): Promise<{ token: string; peerId: string }> {
  const headers = { 'x-api-key': apiKey, 'content-type': 'application/json' };
  const { identity } = await generateIdentity();
  const nonceRes = await fetch(`${url}/api/token/nonce`, { method: 'POST', headers });
  if (!nonceRes.ok) throw new Error(`nonce request failed: ${nonceRes.status} ${await nonceRes.text()}`);
  const { nonce } = (await nonceRes.json()) as { nonce: string };
  const signature = await signText(identity, tokenProofText(nonce, identity.peerId));
  const res = await fetch(`${url}/api/token`, {
    method: 'POST', headers,
    body: JSON.stringify({ peerId: identity.peerId, identity: { publicKey: identity.publicIdentity, nonce, signature } }),
  });
  if (!res.ok) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return { token: ((await res.json()) as { token: string }).token, peerId: identity.peerId };
}
