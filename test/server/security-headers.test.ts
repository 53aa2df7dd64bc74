import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HSTS, HUB_CSP, PERMISSIONS_POLICY } from '../../server/http/security-headers.ts';
import { requestFrom } from '../helpers/http-from.ts';
import { startServer, type Runtime, type ServerProcess } from '../helpers/server-process.ts';

describe.each<Runtime>(['node', 'deno'])('security headers on the %s entry', (runtime) => {
  let direct: ServerProcess;
  let proxied: ServerProcess;
  beforeAll(async () => {
    [direct, proxied] = await Promise.all([startServer({ runtime }), startServer({ runtime, env: { TABMESH_TRUST_PROXY: '127.0.0.1' } })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([direct?.stop(), proxied?.stop()]);
  });

  it('the hub, the API and errors carry the CSP and Permissions-Policy; plain http has no HSTS', async () => {
    for (const path of ['/', '/health', '/api/whoami', '/assets/missing.js']) {
      const res = await fetch(`${direct.url}${path}`);
      expect(res.headers.get('content-security-policy')).toBe(HUB_CSP);
      expect(res.headers.get('permissions-policy')).toBe(PERMISSIONS_POLICY);
      expect(res.headers.get('strict-transport-security')).toBeNull();
    }
    expect(HUB_CSP).not.toMatch(/unsafe-(inline|eval)|\*/);
  });

  it('HSTS when a trusted proxy says the request came over HTTPS, never on a client\'s own word', async () => {
    const viaProxy = await requestFrom(`${proxied.url}/health`, '127.0.0.1', 'GET', undefined, { 'x-forwarded-proto': 'https' });
    expect(viaProxy.headers['strict-transport-security']).toBe(HSTS);
    const rfc = await requestFrom(`${proxied.url}/health`, '127.0.0.1', 'GET', undefined, { forwarded: 'for=192.0.2.1;proto=https' });
    expect(rfc.headers['strict-transport-security']).toBe(HSTS);
    // Not from a trusted address (127.0.0.2 is outside TABMESH_TRUST_PROXY) / no proxy trusted at all.
    const stranger = await requestFrom(`${proxied.url}/health`, '127.0.0.2', 'GET', undefined, { 'x-forwarded-proto': 'https' });
    expect(stranger.headers['strict-transport-security']).toBeUndefined();
    const untrusted = await requestFrom(`${direct.url}/health`, '127.0.0.1', 'GET', undefined, { 'x-forwarded-proto': 'https' });
    expect(untrusted.headers['strict-transport-security']).toBeUndefined();
  });
});
