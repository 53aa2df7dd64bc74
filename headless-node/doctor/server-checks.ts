import * as v from 'valibot';
import WebSocket from 'ws';
import { ClientConfigResponseSchema, HealthResponseSchema, tokenProof, TokenResponseSchema, type IceServer, type Identity } from '../../protocol/index.ts';
import { VERSION } from '../../server/version.ts';
import { elapsed, fail, ok, warn, type CheckResult } from './check-result.ts';

/** Why a fetch failed, in plain words (connection refused, DNS, TLS trust, timeout). */
export function explainNetworkError(err: unknown, url: URL): { title: string; fix: string } {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code ?? (err as { name?: string }).name ?? '';
  const where = `${url.hostname}:${url.port || (url.protocol === 'https:' ? 443 : 80)}`;
  if (code === 'ECONNREFUSED') return { title: `nothing is listening at ${where}`, fix: 'start the server (`npm start`, `tabmesh serve` or `docker compose up -d`) or fix --url' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { title: `cannot resolve ${url.hostname}`, fix: 'check the host name in --url and this machine\'s DNS' };
  if (code === 'TimeoutError' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'ETIMEDOUT') {
    return { title: `no answer from ${where} in time`, fix: 'a firewall may drop the traffic, or the host is down' };
  }
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) {
    return {
      title: `the TLS certificate of ${url.hostname} is not trusted (${code})`,
      fix: 'use a certificate from a public CA, or trust yours: NODE_EXTRA_CA_CERTS=/path/to/ca.pem tabmesh …',
    };
  }
  return { title: `request to ${where} failed: ${cause?.message ?? (err as Error).message}`, fix: 'check --url and that the server is running' };
}

/** `path` under the server's base URL (which may carry a path prefix behind a proxy). */
const endpoint = (base: URL, path: string) => new URL(path, base.href.endsWith('/') ? base : `${base.href}/`);

async function getJson(url: URL, init: RequestInit, timeoutMs: number): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let body: unknown = text;
  try { body = JSON.parse(text); } catch { /* not JSON: keep the text for the message */ }
  return { status: res.status, body };
}

const errorMessage = (body: unknown): string =>
  (body as { error?: { message?: string } })?.error?.message ?? (typeof body === 'string' ? body.slice(0, 120) : JSON.stringify(body));

/** GET /health: reachable, 200, and the same tabmesh version as this CLI (a warning otherwise). */
export async function checkHealth(base: URL, timeoutMs: number): Promise<CheckResult> {
  const url = endpoint(base, 'health');
  const started = performance.now();
  try {
    const { status, body } = await getJson(url, {}, timeoutMs);
    const health = v.safeParse(HealthResponseSchema, body);
    if (status !== 200 || !health.success) {
      return fail(`${url.href} answered HTTP ${status} without tabmesh's health body`, 'is --url pointing at tabmesh? A reverse proxy in front may not reach it (see docs/deploy.md)');
    }
    const title = `server reachable: ${url.href} 200, tabmesh ${health.output.version} (${elapsed(started)})`;
    if (health.output.version !== VERSION) return warn(title, `this CLI is ${VERSION}; mixed versions may disagree on the protocol, upgrade the older side`);
    return ok(title);
  } catch (err) {
    const e = explainNetworkError(err, url);
    return fail(`cannot reach the server: ${e.title}`, e.fix);
  }
}

/**
 * POST /api/token/nonce, then POST /api/token with the key and a proof signed by `identity` (a key
 * made for this run: every token is for a key-derived id); returns the JWT for the later checks.
 */
export async function checkToken(base: URL, key: string, identity: Identity, timeoutMs: number): Promise<{ result: CheckResult; token?: string }> {
  const headers = { 'x-api-key': key, 'content-type': 'application/json' };
  const nonce = await getJson(endpoint(base, 'api/token/nonce'), { method: 'POST', headers }, timeoutMs);
  const nonceValue = (nonce.body as { nonce?: unknown } | undefined)?.nonce;
  const { status, body } = nonce.status === 200 && typeof nonceValue === 'string'
    ? await getJson(endpoint(base, 'api/token'), {
      method: 'POST', headers, body: JSON.stringify({ peerId: identity.peerId, identity: await tokenProof(identity, nonceValue) }),
    }, timeoutMs)
    : nonce;
  const parsed = v.safeParse(TokenResponseSchema, body);
  if (status === 200 && parsed.success) {
    return { result: ok(`key accepted: role ${parsed.output.role} in mesh "${parsed.output.mesh}"`), token: parsed.output.token };
  }
  if (status === 401) {
    return { result: fail(`the server refused the key (401: ${errorMessage(body)})`, 'pass the key the server was given in TABMESH_API_KEYS (or the admin key it printed on first start) with --key') };
  }
  if (status === 403) return { result: fail(`the key was revoked (403: ${errorMessage(body)})`, 'ask an admin for a new key or pair again with `tabmesh node --code …`') };
  return { result: fail(`POST /api/token${nonce.status === 200 ? '' : '/nonce'} answered HTTP ${status}: ${errorMessage(body)}`) };
}

/** GET /api/config: the ICE servers this peer would use. */
export async function checkIceConfig(base: URL, token: string, timeoutMs: number): Promise<{ result: CheckResult; iceServers?: IceServer[] }> {
  const { status, body } = await getJson(endpoint(base, 'api/config'), { headers: { authorization: `Bearer ${token}` } }, timeoutMs);
  const parsed = v.safeParse(ClientConfigResponseSchema, body);
  if (status !== 200 || !parsed.success) return { result: fail(`GET /api/config answered HTTP ${status}: ${errorMessage(body)}`) };
  const iceServers = parsed.output.iceServers;
  const urls = iceServers.flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls]));
  const turn = urls.filter((u) => u.startsWith('turn')).length;
  const stun = urls.length - turn;
  if (urls.length === 0) {
    return {
      result: warn('ICE config: no STUN or TURN server configured',
        'peers connect directly only when they reach each other (same LAN); across NATs set STUN_URLS, and TURN_URLS + TURN_SECRET for the relayed tier (docs/deploy.md)'),
      iceServers,
    };
  }
  return { result: ok(`ICE config: ${stun} STUN and ${turn} TURN URL${turn === 1 ? '' : 's'}`), iceServers };
}

/** Opens /ws and completes hello → welcome: catches reverse proxies that drop the WebSocket upgrade. */
export function checkSignaling(base: URL, token: string, timeoutMs: number): Promise<CheckResult> {
  const url = endpoint(base, 'ws');
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:';
  const started = performance.now();
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { handshakeTimeout: timeoutMs });
    let finished = false;
    const done = (r: CheckResult) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      ws.terminate();
      resolve(r);
    };
    const timer = setTimeout(() => done(fail(`no welcome on ${url.href} within ${timeoutMs} ms`, 'the socket opened but the server did not answer hello; check the server logs')), timeoutMs);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', token })));
    ws.on('message', (data) => {
      let frame: { type?: string } = {};
      try { frame = JSON.parse(data.toString()) as { type?: string }; } catch { /* not ours to judge here */ }
      if (frame.type === 'welcome') done(ok(`signaling WebSocket ${url.href}: hello → welcome (${elapsed(started)})`));
    });
    ws.on('unexpected-response', (_req, res) => done(fail(
      `the WebSocket upgrade at ${url.href} failed: HTTP ${res.statusCode}`,
      'a reverse proxy in front must pass `Upgrade` and `Connection: upgrade` for /ws (Caddy does; nginx needs proxy_set_header lines, see docs/deploy.md)',
    )));
    ws.on('close', (code, reason) => done(fail(`the server closed the signaling socket: ${code} ${reason.toString()}`)));
    ws.on('error', (err) => done(fail(`signaling WebSocket ${url.href}: ${err.message}`)));
  });
}
