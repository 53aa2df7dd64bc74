import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { SkillError } from '../../web/mesh/index.ts';
import { defineSkill } from '../../web/agents/skills/skill-definition.ts';
import { fetchFailureText } from '../../web/agents/skills/fetch-failure.ts';
import { ForbiddenAddressError, guardedLookup, isNonPublicAddress } from './address-guard.ts';

interface FetchUrlInput {
  url: string;
  maxBytes?: number;
  timeoutMs?: number;
}

/** Limits: bodies up to 1 MiB by default (10 MiB max), 10 s by default (60 s max), 5 redirects. */
export const FETCH_LIMITS = { defaultMaxBytes: 1 << 20, maxBytes: 10 << 20, defaultTimeoutMs: 10_000, maxTimeoutMs: 60_000, maxRedirects: 5 } as const;
const TEXTUAL = /^(text\/|application\/(json|xml|javascript|x-www-form-urlencoded)|[^;]*\+(json|xml))/i;

/**
 * `fetch-url` (Node only): GETs an http(s) URL within size and time limits. Non-public addresses
 * (loopback, private, link-local, …) are refused unless the hosting peer sets
 * TABMESH_FETCH_ALLOW_PRIVATE=1, so mesh peers cannot reach the host's LAN or metadata services.
 */
export const fetchUrlSkill = defineSkill<FetchUrlInput>({
  name: 'fetch-url',
  description: 'GETs an http(s) URL from this peer with size and time limits; returns status, content type and body (text, or base64 for binary).',
  inputSchema: {
    type: 'object', required: ['url'], additionalProperties: false,
    properties: {
      url: { type: 'string', maxLength: 4096, pattern: '^https?://', description: 'http:// or https:// URL' },
      maxBytes: { type: 'integer', minimum: 1, maximum: FETCH_LIMITS.maxBytes, description: `default ${FETCH_LIMITS.defaultMaxBytes}; longer bodies are truncated` },
      timeoutMs: { type: 'integer', minimum: 1, maximum: FETCH_LIMITS.maxTimeoutMs, description: `default ${FETCH_LIMITS.defaultTimeoutMs}` },
    },
  },
  handler: async (input, { signal, env }) => {
    const timeoutMs = input.timeoutMs ?? FETCH_LIMITS.defaultTimeoutMs;
    const limit = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    const allowPrivate = env.TABMESH_FETCH_ALLOW_PRIVATE === '1';
    let url = parseUrl(input.url);
    for (let hop = 0; ; hop++) {
      const res = await get(url, allowPrivate, limit, timeoutMs);
      const location = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location) {
        res.resume();
        if (hop >= FETCH_LIMITS.maxRedirects) throw new SkillError('too-many-redirects', `fetch-url: more than ${FETCH_LIMITS.maxRedirects} redirects`);
        url = parseUrl(new URL(location, url).href);
        continue;
      }
      return readBody(url, res, input.maxBytes ?? FETCH_LIMITS.defaultMaxBytes, limit, timeoutMs);
    }
  },
});

function parseUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SkillError('bad-input', `fetch-url: input.url: not a valid URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SkillError('bad-input', `fetch-url: input.url: only http and https are allowed (got ${url.protocol})`);
  return url;
}

function get(url: URL, allowPrivate: boolean, signal: AbortSignal, timeoutMs: number): Promise<IncomingMessage> {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && isIP(host) && isNonPublicAddress(host)) {
    return Promise.reject(forbidden(`${host} is a non-public address`));
  }
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', signal, headers: { 'user-agent': 'tabmesh-fetch-url', accept: '*/*' }, ...(allowPrivate ? {} : { lookup: guardedLookup() }) }, resolve);
    req.on('error', (err) => reject(failure(err, url, signal, timeoutMs)));
    req.end();
  });
}

function readBody(url: URL, res: IncomingMessage, maxBytes: number, signal: AbortSignal, timeoutMs: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const finish = (truncated: boolean) => {
      settled = true;
      const body = Buffer.concat(parts);
      const contentType = res.headers['content-type'] ?? '';
      const textual = TEXTUAL.test(contentType);
      resolve({
        url: url.href, status: res.statusCode ?? 0, contentType, bytes: body.byteLength, truncated,
        encoding: textual ? 'utf8' : 'base64', body: body.toString(textual ? 'utf8' : 'base64'),
      });
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      reject(failure(err, url, signal, timeoutMs));
    };
    res.on('data', (chunk: Buffer) => {
      if (settled) return;
      const room = maxBytes - bytes;
      if (chunk.byteLength > room) {
        parts.push(chunk.subarray(0, room));
        finish(true);
        // Stop downloading: the rest would be thrown away anyway.
        res.destroy();
        return;
      }
      parts.push(chunk);
      bytes += chunk.byteLength;
    });
    res.on('end', () => settled || finish(false));
    res.on('error', fail);
    res.on('close', () => fail(signal.reason ?? new Error('connection closed before the body ended')));
  });
}

function forbidden(detail: string): SkillError {
  return new SkillError('forbidden-address', `fetch-url: ${detail}; the hosting peer allows it with TABMESH_FETCH_ALLOW_PRIVATE=1`);
}

function failure(err: unknown, url: URL, signal: AbortSignal, timeoutMs: number): Error {
  if (err instanceof ForbiddenAddressError) return forbidden(err.message);
  if (signal.aborted && signal.reason instanceof DOMException && signal.reason.name === 'TimeoutError') {
    return new SkillError('timeout', `fetch-url: ${url.host} did not answer within ${timeoutMs} ms`);
  }
  if (signal.aborted) return err as Error;
  return new SkillError('fetch-failed', `fetch-url: ${url.host}: ${fetchFailureText(err)}`);
}
