import { readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MiddlewareHandler } from 'hono';
import { COMPRESSIBLE_TYPE, pickEncoding, type Encoding } from './http/compression.ts';

const SUFFIX: Record<Encoding, string> = { br: 'br', gzip: 'gz' };

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2', '.map': 'application/json',
};

/** Finds web/dist from the source tree (server/) or the compiled tree (dist/server/). */
export function defaultHubDir(): string {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const candidates = [resolve(here, '../web/dist'), resolve(here, '../../web/dist')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0]!;
}

/** Decodes the raw URL path once; undefined for malformed escapes or NUL bytes. */
function requestPath(url: string): string | undefined {
  try {
    const path = decodeURIComponent(new URL(url).pathname);
    return path.includes('\0') ? undefined : path;
  } catch {
    return undefined;
  }
}

/**
 * Serves the built hub (node:fs works on Node and Deno). Hashed files under /assets/ are cached
 * for a year; everything else (index.html, the service worker, the manifest) must revalidate.
 * Extension-less paths fall back to index.html so client routes survive a reload; paths that
 * resolve outside `root` and the API namespace are never served from here.
 */
export function serveHub(root: string = defaultHubDir()): MiddlewareHandler {
  const base = resolve(root);
  const index = join(base, 'index.html');
  return async (c, next) => {
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    const path = requestPath(c.req.url);
    if (path === undefined || path === '/api' || path.startsWith('/api/') || path === '/ws') return next();
    let file = resolve(base, '.' + normalize(path === '/' ? '/index.html' : path));
    if (file !== base && !file.startsWith(base + sep)) return next();
    let info = await stat(file).catch(() => undefined);
    // A directory with an index.html (the examples under /examples/…/) serves it.
    if (info?.isDirectory() && !path.endsWith('/') && existsSync(join(file, 'index.html'))) return c.redirect(`${path}/`, 301);
    if (info?.isDirectory() && path.endsWith('/')) {
      file = join(file, 'index.html');
      info = await stat(file).catch(() => undefined);
    }
    if (!info?.isFile() && extname(path) === '') {
      file = index;
      info = await stat(file).catch(() => undefined);
    }
    if (!info?.isFile()) {
      if (path === '/') return c.html('<!doctype html><title>tabmesh</title><p>The hub is not built. Run <code>npm run build</code>.</p>', 503);
      return next();
    }
    const headers: Record<string, string> = {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      // Decided by the file served, not the URL: an /assets/ miss that falls back to index.html must not be cached for a year.
      'cache-control': file !== index && path.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
    };
    const encoding = COMPRESSIBLE_TYPE.test(headers['content-type']!) ? pickEncoding(c.req.header('accept-encoding')) : undefined;
    // The build writes .br/.gz next to each text file (web/precompress-plugin.ts): no CPU per request.
    const sibling = encoding && (await stat(`${file}.${SUFFIX[encoding]}`).catch(() => undefined))?.isFile() ? `${file}.${SUFFIX[encoding]}` : undefined;
    if (COMPRESSIBLE_TYPE.test(headers['content-type']!)) headers.vary = 'Accept-Encoding';
    if (sibling) headers['content-encoding'] = encoding!;
    if (c.req.method === 'HEAD') return c.body(null, 200, headers);
    return c.body(new Uint8Array(await readFile(sibling ?? file)), 200, headers);
  };
}
