import { decodeJwt } from 'jose';
import { describe, expect, it } from 'vitest';
import { TokenResponseSchema, validate } from '../../protocol/index.ts';
import { ADMIN_KEY, AGENT_KEY, createTestApp, type TestApp } from '../helpers/in-process.ts';
import { idFor, tokenRequestFor } from '../helpers/test-identity.ts';

const MESH_B_KEY = 'agent-key-mesh-b-0123456789';

describe('POST /api/token', () => {
  const app = () => createTestApp({ TABMESH_API_KEYS: `admin:${ADMIN_KEY},agent:${AGENT_KEY},agent:${MESH_B_KEY}:b` });
  /** `body` may be a function of the app: a proven body needs a nonce from that app. */
  const post = async (body: BodyInit | undefined | ((t: TestApp) => Promise<BodyInit>), headers: Record<string, string>) => {
    const t = await app();
    const sent = typeof body === 'function' ? await body(t) : body;
    const res = await t.server.app.request('/api/token', { method: 'POST', body: sent, headers, duplex: 'half' } as RequestInit);
    return { t, status: res.status, body: (await res.json()) as Record<string, any> };
  };
  /** A body proving the key of `name`'s test identity, with extra fields merged in. */
  const proven = (name: string, extra: Record<string, unknown> = {}) => async (t: TestApp) => {
    const { nonce } = (await t.call('POST', '/api/token/nonce', { headers: { 'x-api-key': AGENT_KEY } })).body as { nonce: string };
    return JSON.stringify({ ...(await tokenRequestFor(name, nonce)), ...extra });
  };
  const json = { 'content-type': 'application/json' };

  it('exchanges an API key for a JWT carrying peer id, role and mesh', async () => {
    const r = await post(proven('laptop-1'), { ...json, 'x-api-key': AGENT_KEY });
    expect(r.status).toBe(200);
    expect(validate(TokenResponseSchema, r.body).ok).toBe(true);
    expect(r.body).toMatchObject({ peerId: idFor('laptop-1'), role: 'agent', mesh: 'default', verified: true });
    expect(r.body.expiresAt).toBe((Math.floor(r.t.clock.now / 1000) + 300) * 1000);
    const claims = decodeJwt(r.body.token);
    expect(claims).toMatchObject({ sub: idFor('laptop-1'), role: 'agent', mesh: 'default', exp: r.body.expiresAt / 1000 });
    expect(claims.cid).toMatch(/^key-[0-9a-f]{12}$/);
  });

  it('takes role and mesh from the key, never from the body', async () => {
    const r = await post(proven('pi-7', { role: 'admin', mesh: 'default' }), { ...json, 'x-api-key': MESH_B_KEY });
    expect(r.body).toMatchObject({ peerId: idFor('pi-7'), role: 'agent', mesh: 'b' });
    const admin = await post(proven('ops'), { ...json, 'x-api-key': ADMIN_KEY });
    expect(admin.body).toMatchObject({ role: 'admin', mesh: 'default' });
  });

  it('answers 401 without a key and with an unknown key', async () => {
    const missing = await post(JSON.stringify({ peerId: 'a' }), json);
    expect(missing.status).toBe(401);
    expect(missing.body.error).toEqual({ code: 'unauthorized', message: 'missing X-API-Key header' });
    const unknown = await post(JSON.stringify({ peerId: 'a' }), { ...json, 'x-api-key': 'agent-key-0123456789abcdeX' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.code).toBe('unauthorized');
  });

  it('answers 400 naming the field and the rule for a bad body', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['{}', 'invalid-body', /^peerId: is required$/],
      [JSON.stringify({ peerId: 42 }), 'invalid-body', /^peerId: must be a string/],
      [JSON.stringify({ peerId: '../etc/passwd' }), 'invalid-body', /^peerId: must be a key-derived peer id/],
      [JSON.stringify({ peerId: 'k' + 'f'.repeat(33) }), 'invalid-body', /^peerId: must be a key-derived peer id/],
      [JSON.stringify({ peerId: '' }), 'invalid-body', /^peerId: /],
      // A chosen name is a display name, never an identity: no token for it, whatever else is sent.
      [JSON.stringify({ peerId: 'pi-kitchen' }), 'invalid-body', /^peerId: must be a key-derived peer id \("k" \+ 32 hex: SHA-256 of identity.publicKey\); names like "pi-kitchen" are display names, not peer ids$/],
      [JSON.stringify({ peerId: idFor('pi-kitchen') }), 'identity-required', /^identity: is required \(a nonce from POST \/api\/token\/nonce signed with the key behind peerId\)$/],
      ['[]', 'invalid-body', /^peerId: is required$/],
      ['null', 'invalid-body', /^\(root\): must be an object$/],
      ['{"peerId": "a"', 'bad-json', /not valid JSON/],
      ['', 'bad-json', /not valid JSON/],
    ];
    for (const [body, code, message] of cases) {
      const r = await post(body, { ...json, 'x-api-key': AGENT_KEY });
      expect(r.status, body).toBe(400);
      expect(r.body.error.code, body).toBe(code);
      expect(r.body.error.message, body).toMatch(message);
    }
  });

  it('answers 415 unless the body is application/json', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/jsonp', '']) {
      const headers: Record<string, string> = { 'x-api-key': AGENT_KEY };
      if (type) headers['content-type'] = type;
      const r = await post(proven('a'), headers);
      expect(r.status, type).toBe(415);
      expect(r.body.error.code).toBe('unsupported-media-type');
    }
    const withCharset = await post(proven('a'), { 'content-type': 'application/json; charset=utf-8', 'x-api-key': AGENT_KEY });
    expect(withCharset.status).toBe(200);
  });

  it('answers 413 for a body over 4 KiB, declared or streamed without a length', async () => {
    const big = JSON.stringify({ peerId: 'a', pad: 'x'.repeat(5000) });
    const declared = await post(big, { ...json, 'x-api-key': AGENT_KEY });
    expect(declared.status).toBe(413);
    expect(declared.body.error.code).toBe('body-too-large');
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        // Endless: the server must stop reading on its own once past the cap.
        sent += 1024;
        ctrl.enqueue(new Uint8Array(1024).fill(0x20));
      },
    });
    const streamed = await post(stream, { ...json, 'x-api-key': AGENT_KEY });
    expect(streamed.status).toBe(413);
    expect(sent).toBeLessThan(64 * 1024);
  });

  it('is the only way to a token: other methods and paths are JSON 404s', async () => {
    const t = await createTestApp();
    for (const [method, path] of [['GET', '/api/token'], ['PUT', '/api/token'], ['GET', '/api/nope'], ['GET', '/api']]) {
      const r = await t.call(method!, path!);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('not-found');
    }
  });
});
