import { execFileSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startServer, type Runtime, type ServerProcess } from '../helpers/server-process.ts';
import { joinWith } from '../helpers/ws-client.ts';
import { idFor, tokenRequestFor } from '../helpers/test-identity.ts';

const dir = mkdtempSync(join(tmpdir(), 'tabmesh-tls-'));
const certFile = join(dir, 'cert.pem');
const keyFile = join(dir, 'key.pem');
const agentKey = `agent-${randomBytes(12).toString('hex')}`;
let ca: Buffer;

beforeAll(() => {
  // A throwaway self-signed certificate for 127.0.0.1, like an operator's own cert.
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=tabmesh test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
    '-keyout', keyFile, '-out', certFile,
  ], { stdio: 'ignore' });
  ca = readFileSync(certFile);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface HttpsAnswer { status: number; type: string; body: string; fingerprint: string; authorized: boolean; hsts: string | undefined }

/** One HTTPS request that trusts only our certificate (real verification, no rejectUnauthorized: false). */
function httpsRequest(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method ?? 'GET', headers: init.headers, ca }, (res) => {
      const socket = res.socket as import('node:tls').TLSSocket;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode ?? 0,
        type: String(res.headers['content-type'] ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
        fingerprint: socket.getPeerCertificate().fingerprint256,
        authorized: socket.authorized,
        hsts: res.headers['strict-transport-security'] as string | undefined,
      }));
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

describe.each<Runtime>(['node', 'deno'])('built-in TLS on the %s entry', (runtime) => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({
      runtime,
      env: { TLS_CERT_FILE: certFile, TLS_KEY_FILE: keyFile, TABMESH_API_KEYS: `agent:${agentKey}` },
      timeoutMs: 30_000,
    });
  }, 40_000);

  afterAll(async () => {
    await server?.stop();
  });

  test('serves /health and the hub over HTTPS with the configured certificate', async () => {
    expect(server.url).toBe(`https://127.0.0.1:${server.port}`);
    const health = await httpsRequest(`${server.url}/health`);
    expect(health).toMatchObject({ status: 200, authorized: true });
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    expect(health.fingerprint).toBe(new X509Certificate(ca).fingerprint256);

    const hub = await httpsRequest(`${server.url}/`);
    expect(hub.status).toBe(200);
    expect(hub.type).toContain('text/html');
    expect(hub.body).toBe(readFileSync(new URL('../../web/dist/index.html', import.meta.url), 'utf8'));
    // HSTS only over HTTPS (test/server/security-headers.test.ts checks plain http has none).
    expect(hub.hsts).toBe('max-age=31536000; includeSubDomains');
  });

  test('plain HTTP on the TLS port is not served', async () => {
    // The listener speaks only TLS: an HTTP request fails at the connection, it never reaches the app.
    await expect(fetch(`http://127.0.0.1:${server.port}/health`)).rejects.toThrow(TypeError);
  });

  test('signaling works over WSS: token over HTTPS, then hello/welcome', async () => {
    const headers = { 'x-api-key': agentKey, 'content-type': 'application/json' };
    const nonce = await httpsRequest(`${server.url}/api/token/nonce`, { method: 'POST', headers });
    expect(nonce.status).toBe(200);
    const body = await tokenRequestFor(`tls-${runtime}`, (JSON.parse(nonce.body) as { nonce: string }).nonce);
    const token = await httpsRequest(`${server.url}/api/token`, { method: 'POST', headers, body: JSON.stringify(body) });
    expect(token.status).toBe(200);
    expect(server.wsUrl).toBe(`wss://127.0.0.1:${server.port}/ws`);
    const socket = await joinWith(server.wsUrl, (JSON.parse(token.body) as { token: string }).token, { ca });
    try {
      expect(socket.welcome).toMatchObject({ type: 'welcome', peerId: idFor(`tls-${runtime}`) });
    } finally {
      socket.close();
    }
  });
});
