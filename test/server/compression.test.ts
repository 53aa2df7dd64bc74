import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pickEncoding } from '../../server/http/compression.ts';
import { getToken, startServer, type Runtime, type ServerProcess } from '../helpers/server-process.ts';

const ADMIN_KEY = 'admin-key-0123456789abcdef';
const script = `console.log(${JSON.stringify('tabmesh '.repeat(600))});\n`;
const style = `body { color: #123456; }\n`.repeat(200);

/** A raw GET (fetch would decode the body itself and hide what crossed the wire). */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    }).on('error', reject).end();
  });
}
const decode = (r: { headers: Record<string, unknown>; body: Buffer }) =>
  (r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.body) : r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body).toString();

function hubDir(): string {
  const root = join(mkdtempSync(join(tmpdir(), 'tabmesh-compress-')), 'dist');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), `<!doctype html><title>hub</title>${'<p>hub</p>'.repeat(200)}`);
  // Precompressed siblings as the build writes them; style.css has none (compressed per request).
  writeFileSync(join(root, 'assets/app.js'), script);
  writeFileSync(join(root, 'assets/app.js.br'), brotliCompressSync(script));
  writeFileSync(join(root, 'assets/app.js.gz'), gzipSync(script));
  writeFileSync(join(root, 'assets/style.css'), style);
  return root;
}

describe.each<Runtime>(['node', 'deno'])('compression on the %s entry', (runtime) => {
  let server: ServerProcess;
  let agentsJson: string;
  let token: string;
  beforeAll(async () => {
    server = await startServer({ runtime, env: { TABMESH_API_KEYS: `admin:${ADMIN_KEY}`, TABMESH_HUB_DIR: hubDir() } });
    token = await getToken(server.url, ADMIN_KEY, 'compress-test');
    const skills = Array.from({ length: 40 }, (_, i) => ({ name: `skill-${i}`, description: `does thing number ${i} for the compression test` }));
    const reg = await fetch(`${server.url}/api/agents`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'many', platform: 'node', skills }),
    });
    expect(reg.status).toBeLessThan(300);
    agentsJson = `${server.url}/api/agents`;
  }, 60_000);
  afterAll(async () => void (await server?.stop()));

  it.each([['br', 'br'], ['gzip', 'gzip'], ['gzip, deflate, br', 'br'], ['br;q=0, gzip', 'gzip']])('static files: Accept-Encoding "%s" gets %s, decoding to the file', async (accept, expected) => {
    for (const [path, text] of [['/assets/app.js', script], ['/assets/style.css', style]] as const) {
      const r = await rawGet(`${server.url}${path}`, { 'accept-encoding': accept });
      expect(r.status).toBe(200);
      expect(r.headers['content-encoding'], path).toBe(expected);
      expect(r.headers.vary).toMatch(/accept-encoding/i);
      expect(r.body.byteLength).toBeLessThan(text.length / 4);
      expect(decode(r)).toBe(text);
    }
  });

  it('JSON from the API is compressed as well, and identical once decoded', async () => {
    const plain = await rawGet(agentsJson, { authorization: `Bearer ${token}` });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.byteLength).toBeGreaterThan(1024);
    for (const enc of ['br', 'gzip']) {
      const r = await rawGet(agentsJson, { authorization: `Bearer ${token}`, 'accept-encoding': enc });
      expect(r.headers['content-encoding']).toBe(enc);
      expect(r.headers['content-type']).toMatch(/application\/json/);
      expect(JSON.parse(decode(r))).toEqual(JSON.parse(plain.body.toString()));
    }
  });

  it('answers to POST are sent as they are, however large (only GET responses are read to compress)', async () => {
    const skills = Array.from({ length: 40 }, (_, i) => ({ name: `post-skill-${i}`, description: `does thing number ${i} for the compression test` }));
    const res = await fetch(`${server.url}/api/agents`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'accept-encoding': 'br, gzip' },
      body: JSON.stringify({ name: 'post-many', platform: 'node', skills }),
    });
    expect(res.status).toBeLessThan(300);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect((await res.text()).length).toBeGreaterThan(1024);
  });

  it('health probes are sent as they are: not read to decide, so no Vary either', async () => {
    for (const path of ['/health', '/ready']) {
      const r = await rawGet(`${server.url}${path}`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(r.status, path).toBe(200);
      expect(r.headers['content-encoding'], path).toBeUndefined();
      expect(r.headers.vary, path).toBeUndefined();
      expect(JSON.parse(r.body.toString()).status, path).toMatch(/^(ok|ready)$/);
    }
  });

  it('no Accept-Encoding, or only unknown codings, gets the plain bytes', async () => {
    for (const headers of [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'zstd' }] as Array<Record<string, string>>) {
      const r = await rawGet(`${server.url}/assets/app.js`, headers);
      expect(r.headers['content-encoding']).toBeUndefined();
      expect(r.body.toString()).toBe(script);
    }
  });
});

describe('pickEncoding', () => {
  it('prefers brotli, honours q=0 and *', () => {
    expect(pickEncoding(undefined)).toBeUndefined();
    expect(pickEncoding('gzip, br')).toBe('br');
    expect(pickEncoding('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(pickEncoding('*')).toBe('br');
    expect(pickEncoding('*, br;q=0')).toBe('gzip');
    expect(pickEncoding('identity')).toBeUndefined();
  });
});
