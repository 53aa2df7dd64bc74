import type { MiddlewareHandler } from 'hono';
import { loadConfig } from '../../server/config.ts';
import { createTabmeshServer, type TabmeshServer } from '../../server/create-server.ts';
import { createLogger } from '../../server/ops/logger.ts';
import { tokenRequestFor } from './test-identity.ts';

export const ADMIN_KEY = 'admin-key-0123456789abcdef';
export const AGENT_KEY = 'agent-key-0123456789abcdef';

export interface TestApp {
  server: TabmeshServer;
  clock: { now: number; advance(ms: number): void };
  /** A JWT for the identity derived from `name` (peer id `idFor(name)`) via the real nonce + POST /api/token routes. */
  token(name: string, key?: string): Promise<string>;
  /** Calls the app in-process (`app.request`) and returns status + parsed JSON. */
  call(method: string, path: string, opts?: { token?: string; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: any }>;
}

/** An in-process server on a movable clock; no listener, no background sweeps. */
export async function createTestApp(env: Record<string, string> = {}, extra: { serveHub?: MiddlewareHandler } = {}): Promise<TestApp> {
  const clock = { now: 1_800_000_000_000, advance(ms: number) { this.now += ms; } };
  const config = loadConfig({ TABMESH_API_KEYS: `admin:${ADMIN_KEY},agent:${AGENT_KEY}`, LOG_LEVEL: 'error', ...env });
  const server = await createTabmeshServer({
    config, secrets: { apiKeys: config.apiKeys, jwtSecret: 'test-secret-0123456789abcdef-0123456789' },
    logger: createLogger('error'), now: () => clock.now, sweepIntervalMs: 0, ...extra,
  });
  server.setReadiness('ready');
  const call: TestApp['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const res = await server.app.request(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  return {
    server, clock, call,
    async token(name, key = AGENT_KEY) {
      const n = await call('POST', '/api/token/nonce', { headers: { 'x-api-key': key } });
      if (n.status !== 200) throw new Error(`token nonce: ${n.status} ${JSON.stringify(n.body)}`);
      const r = await call('POST', '/api/token', { body: await tokenRequestFor(name, n.body.nonce as string), headers: { 'x-api-key': key } });
      if (r.status !== 200) throw new Error(`token: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.token as string;
    },
  };
}
