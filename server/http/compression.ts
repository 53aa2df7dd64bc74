import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { MiddlewareHandler } from 'hono';

// node:zlib rather than CompressionStream: only it has brotli on Node 20, and Deno implements it too.

export type Encoding = 'br' | 'gzip';

/** Text-like types worth compressing (images and fonts are compressed already). */
export const COMPRESSIBLE_TYPE = /^(text\/|application\/(json|javascript|manifest\+json|xml)|image\/svg\+xml)/;

/** Below this a compressed body saves less than the header costs. */
export const MIN_COMPRESS_BYTES = 1024;

/** The best encoding the client accepts (brotli, then gzip); `q=0` refuses one. */
export function pickEncoding(acceptEncoding: string | undefined): Encoding | undefined {
  if (!acceptEncoding) return undefined;
  const accepted = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(',')) {
    const [name, ...params] = part.trim().split(';');
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    if (name) accepted.set(name.trim(), q === undefined ? 1 : Number(q));
  }
  const ok = (e: string) => (accepted.get(e) ?? (accepted.has('*') ? accepted.get('*')! : 0)) > 0;
  return ok('br') ? 'br' : ok('gzip') ? 'gzip' : undefined;
}

/** Compresses `bytes`; `quality` trades CPU for size (brotli 0-11; build-time assets use the maximum). */
export function compressBytes(bytes: Uint8Array, encoding: Encoding, quality: 'fast' | 'max' = 'fast'): Uint8Array<ArrayBuffer> {
  // Copied into a plain ArrayBuffer: Response bodies refuse Buffer's ArrayBufferLike in the types.
  if (encoding === 'br') {
    return new Uint8Array(brotliCompressSync(bytes, {
      params: { [constants.BROTLI_PARAM_QUALITY]: quality === 'max' ? 11 : 5, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.byteLength },
    }));
  }
  return new Uint8Array(gzipSync(bytes, { level: quality === 'max' ? 9 : 6 }));
}

/** Adds `Accept-Encoding` to `Vary` once. */
export function varyOnEncoding(headers: Headers): void {
  const vary = headers.get('vary');
  if (!vary) headers.set('vary', 'Accept-Encoding');
  else if (!/accept-encoding/i.test(vary)) headers.set('vary', `${vary}, Accept-Encoding`);
}

/**
 * Health probes, polled every few seconds by load balancers and orchestrators, answer a few dozen
 * bytes: reading their length-less JSON body to decide that was most of their cost (a warm
 * `GET /health` with `Accept-Encoding`: 0.11 → 0.04 ms of server CPU).
 */
const PROBES = new Set(['/health', '/ready']);

/**
 * Compresses finished text responses to GET (JSON from the API, static files without a
 * precompressed sibling) with brotli or gzip as the client accepts. Responses that are already
 * encoded, tiny, binary or streamed events pass through untouched, and so do answers to other
 * methods: they are small (a token, a nonce, a task id), and a JSON body carries no length, so
 * deciding means reading it and building a new Response, which cost ~0.3 ms of server CPU per
 * request (measured on /api/token/nonce).
 */
export function compressResponses(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    if (c.req.method !== 'GET' || PROBES.has(c.req.path)) return;
    const res = c.res;
    const type = res.headers.get('content-type') ?? '';
    if (!res.body || res.status < 200 || res.status === 204 || res.status === 206) return;
    if (res.headers.has('content-encoding') || !COMPRESSIBLE_TYPE.test(type)) return;
    // A stream of events (A2A SendStreamingMessage) must reach the client as it happens: reading it
    // to the end to compress it would hold back every event, headers included, until the task ends.
    if (type.startsWith('text/event-stream') || res.headers.has('transfer-encoding')) return;
    const length = Number(res.headers.get('content-length') ?? Number.NaN);
    if (length < MIN_COMPRESS_BYTES) return;
    varyOnEncoding(res.headers);
    const encoding = pickEncoding(c.req.header('accept-encoding'));
    if (!encoding) return;
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.byteLength < MIN_COMPRESS_BYTES) {
      c.res = new Response(bytes, res);
      return;
    }
    const body = compressBytes(bytes, encoding);
    const headers = new Headers(res.headers);
    headers.set('content-encoding', encoding);
    headers.set('content-length', String(body.byteLength));
    // Hono's setter merges the old response's headers back in; replace it outright.
    c.res = undefined;
    c.res = new Response(body, { status: res.status, statusText: res.statusText, headers });
  };
}
