import { jwtVerify, SignJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { signHs256, verifyHs256 } from '../../server/auth/hs256-jwt.ts';
import { createTokenService, TokenError } from '../../server/auth/tokens.ts';

const secret = 'test-secret-0123456789-0123456789';
const key = new TextEncoder().encode(secret);
const PEER = 'p'.repeat(43);
const claims = { sub: PEER, role: 'agent' as const, mesh: 'default', cid: 'key-0123456789ab' };

describe('HS256 tokens (node:crypto) against jose', () => {
  it('tokens we issue verify with jose, and jose-signed tokens verify with us', async () => {
    const tokens = createTokenService(secret, 300);
    const { token } = await tokens.issue(claims);
    const { payload, protectedHeader } = await jwtVerify(token, key, { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject(claims);
    const fromJose = await new SignJWT({ role: 'agent', mesh: 'default', cid: claims.cid }).setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(PEER).setIssuedAt().setExpirationTime('5m').sign(key);
    expect(await tokens.verify(fromJose)).toMatchObject(claims);
  });

  it('refuses a token signed with another key, a changed payload, another alg or a non-canonical signature', async () => {
    const good = signHs256({ ...claims, exp: 2e9 }, key);
    expect(verifyHs256(good, key)).toMatchObject(claims);
    expect(() => verifyHs256(good, new TextEncoder().encode('other-secret-0123456789-0123456789'))).toThrow(/signature/);
    const [h, p, s] = good.split('.') as [string, string, string];
    const admin = Buffer.from(JSON.stringify({ ...claims, role: 'admin', exp: 2e9 })).toString('base64url');
    expect(() => verifyHs256(`${h}.${admin}.${s}`, key)).toThrow(/signature/);
    // alg none, and alg HS512 signed correctly over its own header: both refused.
    const none = Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url');
    expect(() => verifyHs256(`${none}.${p}.`, key)).toThrow();
    const hs512 = await new SignJWT({ ...claims }).setProtectedHeader({ alg: 'HS512' }).setExpirationTime('5m').sign(key);
    expect(() => verifyHs256(hs512, key)).toThrow();
    // The last base64url char of a 32-byte signature carries 2 unused bits: flipping them must not verify.
    const last = s.at(-1)!;
    const alias = 'AEIMQUYcgkosw048'.includes(last) ? String.fromCharCode(last.charCodeAt(0) + 1) : last;
    if (alias !== last) expect(() => verifyHs256(`${h}.${p}.${s.slice(0, -1)}${alias}`, key)).toThrow(/signature/);
    expect(() => verifyHs256('a.b', key)).toThrow(/compact JWS/);
    expect(() => verifyHs256(`${h}.${p}.${s}=`, key)).toThrow(/compact JWS/);
  });

  it('expiry, not-before and claim shapes are checked', async () => {
    let now = 1_700_000_000_000;
    const tokens = createTokenService(secret, 300, () => now);
    const { token } = await tokens.issue(claims);
    now += 299_000;
    await expect(tokens.verify(token)).resolves.toMatchObject(claims);
    now += 1_000;
    await expect(tokens.verify(token)).rejects.toMatchObject({ reason: 'expired' });
    const t = Math.floor(now / 1000);
    await expect(tokens.verify(signHs256({ ...claims, exp: t + 60, nbf: t + 30 }, key))).rejects.toBeInstanceOf(TokenError);
    await expect(tokens.verify(signHs256({ ...claims, exp: t + 60, role: 'root' }, key))).rejects.toMatchObject({ reason: 'invalid' });
    await expect(tokens.verify(signHs256({ ...claims, exp: String(t + 60) }, key))).rejects.toMatchObject({ reason: 'invalid' });
  });
});
