import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { keyedToken } from '../helpers/keyed-token.ts';
import { startServer, type Runtime, type ServerProcess } from '../helpers/server-process.ts';
import { joinWith } from '../helpers/ws-client.ts';

const AGENT = 'agent-key-websocket-origin-0001';

/** The HTTP status of a refused upgrade, or 101 when the socket opened. */
function upgradeStatus(wsUrl: string, origin: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { origin });
    ws.once('open', () => (ws.close(), resolve(101)));
    ws.once('unexpected-response', (_req, res) => (res.resume(), resolve(res.statusCode ?? 0)));
    ws.once('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}

describe.each<Runtime>(['node', 'deno'])('WebSocket Origin check on %s', (runtime) => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer({
      runtime,
      env: { TABMESH_API_KEYS: `agent:${AGENT}`, TABMESH_CORS_ORIGINS: 'https://app.example', TABMESH_PUBLIC_URL: 'https://mesh.example' },
    });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('lets in clients without Origin (Node peers) and pages of the hub\'s own, the public and the CORS origins', async () => {
    const origins = [undefined, `http://127.0.0.1:${server.port}`, 'https://mesh.example', 'https://app.example'];
    for (const origin of origins) {
      const { token } = await keyedToken(server.url, AGENT);
      const s = await joinWith(server.wsUrl, token, origin ? { origin } : {});
      expect(s.welcome.type).toBe('welcome');
      s.close();
    }
  });

  it('refuses the upgrade (403) from any other origin, before a token is even sent', async () => {
    for (const origin of ['https://evil.example', 'null', `http://127.0.0.1:${server.port + 1}`, 'https://app.example.evil.example']) {
      expect(await upgradeStatus(server.wsUrl, origin)).toBe(403);
    }
  });
});
