import { loadConfig } from '../../server/config.ts';
import { createTabmeshServer, type TabmeshServer } from '../../server/create-server.ts';
import { createLogger } from '../../server/ops/logger.ts';
import { generateIdentity, signText, tokenProofText } from '../../protocol/index.ts';
import type { Store } from '../../server/store/store.ts';

export const ADMIN = 'bench-admin-key-0123456789abcdef';

export interface Caller {
  server: TabmeshServer;
  /** `ip` is the client address the app sees (pairing limits attempts per address). */
  call(method: string, path: string, opts?: { token?: string; key?: string; body?: unknown; ip?: string }): Promise<{ status: number; body: any }>;
  /** A JWT for a fresh key-derived peer id, proving possession of its key (the clients' flow). */
  token(credential: string): Promise<{ token: string; peerId: string }>;
  /** Sign ahead (nonce + signature), so a measured POST /api/token carries only the server's work. */
  tokenRequest(credential: string): Promise<() => Promise<number>>;
  /** An in-process signaling socket for `token`'s peer, so tasks sent to it are assigned at once. */
  connectAgent(token: string): Promise<void>;
}

/** The real server (Hono app, store, hub) in this process, called through `app.request`: no HTTP stack in the numbers. */
export async function inProcessServer(store: Store): Promise<Caller> {
  const config = loadConfig({ TABMESH_API_KEYS: `admin:${ADMIN}`, LOG_LEVEL: 'error', TABMESH_RATE_LIMIT_PER_SEC: '1000000' });
  const server = await createTabmeshServer({ config, secrets: { apiKeys: config.apiKeys, jwtSecret: 'bench-jwt-secret-0123456789abcdef0123456789' }, logger: createLogger('error'), store, sweepIntervalMs: 0 });
  server.setReadiness('ready');
  const call: Caller['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = {};
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (opts.key) headers['x-api-key'] = opts.key;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const env = { incoming: { socket: { remoteAddress: opts.ip ?? '127.0.0.1' } } };
    const res = await server.app.request(path, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) }, env);
    return { status: res.status, body: await res.json().catch(() => undefined) };
  };
  const tokenRequest: Caller['tokenRequest'] = async (credential) => {
    const { identity } = await generateIdentity();
    const { nonce } = (await call('POST', '/api/token/nonce', { key: credential })).body as { nonce: string };
    const signature = await signText(identity, tokenProofText(nonce, identity.peerId));
    const body = { peerId: identity.peerId, identity: { publicKey: identity.publicIdentity, nonce, signature } };
    return async () => {
      const r = await call('POST', '/api/token', { key: credential, body });
      if (r.status !== 200) throw new Error(`token: ${r.status} ${JSON.stringify(r.body)}`);
      return r.status;
    };
  };
  const token: Caller['token'] = async (credential) => {
    const { identity } = await generateIdentity();
    const { nonce } = (await call('POST', '/api/token/nonce', { key: credential })).body as { nonce: string };
    const signature = await signText(identity, tokenProofText(nonce, identity.peerId));
    const r = await call('POST', '/api/token', { key: credential, body: { peerId: identity.peerId, identity: { publicKey: identity.publicIdentity, nonce, signature } } });
    if (r.status !== 200) throw new Error(`token: ${r.status} ${JSON.stringify(r.body)}`);
    return { token: r.body.token as string, peerId: identity.peerId };
  };
  const connectAgent: Caller['connectAgent'] = async (agentToken) => {
    let welcomed!: () => void;
    const welcome = new Promise<void>((r) => (welcomed = r));
    // Assignment pushes land here and are ignored: the benchmark completes tasks itself.
    const conn = server.relay.accept({
      send: (d) => void (d.startsWith('{"type":"welcome"') && welcomed()),
      close: () => undefined,
      bufferedAmount: 0,
    }, { remoteAddress: '127.0.0.1' });
    const hello = JSON.stringify({ type: 'hello', token: agentToken });
    conn.message(hello, hello.length);
    await welcome;
  };
  return { server, call, token, tokenRequest, connectAgent };
}
