import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../server/config.ts';
import { createTabmeshServer } from '../../server/create-server.ts';
import { serveHub } from '../../server/hub-static.ts';
import { createLogger } from '../../server/ops/logger.ts';

const SECRET = 'outside-the-hub-root-do-not-serve';

async function appServing(root: string) {
  const config = loadConfig({ TABMESH_API_KEYS: 'admin:admin-key-0123456789abcdef', LOG_LEVEL: 'error' });
  const server = await createTabmeshServer({
    config, secrets: { apiKeys: config.apiKeys, jwtSecret: 'x'.repeat(32) }, logger: createLogger('error'),
    serveHub: serveHub(root), sweepIntervalMs: 0,
  });
  return server.app;
}

describe('hub static files', () => {
  let app: Awaited<ReturnType<typeof appServing>>;
  beforeAll(async () => {
    // <tmp>/secret.txt sits next to the hub root <tmp>/dist: reachable only by escaping the root.
    const dir = mkdtempSync(join(tmpdir(), 'tabmesh-hub-'));
    writeFileSync(join(dir, 'secret.txt'), SECRET);
    writeFileSync(join(dir, 'dist-evil.txt'), SECRET);
    const root = join(dir, 'dist');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>hub</title>');
    writeFileSync(join(root, 'assets', 'app-3f2a1b.js'), 'console.log(1)');
    writeFileSync(join(root, 'sw.js'), 'self.addEventListener("fetch", () => {})');
    writeFileSync(join(root, 'manifest.webmanifest'), '{}');
    mkdirSync(join(root, 'examples', 'demo'), { recursive: true });
    writeFileSync(join(root, 'examples', 'demo', 'index.html'), '<!doctype html><title>demo</title>');
    mkdirSync(join(root, 'lib'));
    app = await appServing(root);
  });

  const get = async (path: string, method = 'GET') => {
    const res = await app.request(path, { method });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  it('serves index.html at / with no-cache', async () => {
    const r = await get('/');
    expect(r.status).toBe(200);
    expect(r.text).toBe('<!doctype html><title>hub</title>');
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves a directory\'s index.html (the examples), redirecting the slash-less path to it', async () => {
    const page = await get('/examples/demo/');
    expect(page.status).toBe(200);
    expect(page.text).toBe('<!doctype html><title>demo</title>');
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const bare = await app.request('/examples/demo');
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/examples/demo/');
    // A directory without an index.html is not listed: the hub's client-route fallback answers.
    expect((await get('/lib/')).text).toBe('<!doctype html><title>hub</title>');
  });

  it('caches hashed /assets/* for a year as immutable, the service worker and manifest never', async () => {
    const asset = await get('/assets/app-3f2a1b.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await get('/sw.js')).headers.get('cache-control')).toBe('no-cache');
    const manifest = await get('/manifest.webmanifest');
    expect(manifest.headers.get('content-type')).toBe('application/manifest+json');
    expect(manifest.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers HEAD with the headers and no body', async () => {
    const r = await get('/assets/app-3f2a1b.js', 'HEAD');
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
    expect(r.headers.get('cache-control')).toContain('immutable');
  });

  it('falls back to index.html (no-cache) for client routes, even under /assets/', async () => {
    for (const path of ['/pair', '/agents/a1', '/assets/not-a-file']) {
      const r = await get(path);
      expect(r.status, path).toBe(200);
      expect(r.text).toContain('<title>hub</title>');
      expect(r.headers.get('cache-control'), path).toBe('no-cache');
    }
  });

  it('answers a missing file with a JSON 404', async () => {
    const r = await get('/assets/missing-123.js');
    expect(r.status).toBe(404);
    expect(JSON.parse(r.text).error.code).toBe('not-found');
  });

  it('refuses path traversal however it is spelled', async () => {
    const attempts = [
      '/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt', '/%252e%252e%252fsecret.txt', '/..%2f..%2f..%2fetc%2fpasswd',
      '/../dist-evil.txt', '/..%2fdist-evil.txt', '/%00', '/secret.txt%00.html', '/%ZZ', '//secret.txt',
    ];
    for (const path of attempts) {
      const r = await get(path);
      expect(r.text, path).not.toContain(SECRET);
      expect(r.text, path).not.toContain('root:');
      expect([200, 404], path).toContain(r.status);
      if (r.status === 200) expect(r.text, path).toContain('<title>hub</title>');
    }
  });

  it('never serves the hub for /api or /ws paths and ignores other methods', async () => {
    for (const path of ['/api', '/api/', '/api/unknown', '/api/unknown/deeper', '/ws']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.headers.get('content-type'), path).toMatch(/^application\/json/);
      expect(JSON.parse(r.text).error.code).toBe('not-found');
    }
    const post = await get('/', 'POST');
    expect(post.status).toBe(404);
    expect(JSON.parse(post.text).error.code).toBe('not-found');
  });

  it('explains an unbuilt hub at / with a 503', async () => {
    const empty = await appServing(mkdtempSync(join(tmpdir(), 'tabmesh-empty-hub-')));
    const res = await empty.request('/');
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('npm run build');
  });
});
