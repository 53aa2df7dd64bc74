import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { joinWith } from '../helpers/ws-client.ts';
import { idFor } from '../helpers/test-identity.ts';

const key = `agent-${randomBytes(12).toString('hex')}`;
let server: ServerProcess;

beforeAll(async () => {
  server = await startServer({ runtime: 'deno', denoTask: true, env: { TABMESH_API_KEYS: `agent:${key}` }, timeoutMs: 30_000 });
}, 40_000);

afterAll(async () => {
  await server?.stop();
});

describe('`deno task start` (the documented Deno way)', () => {
  test('serves /health and the hub', async () => {
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const hub = await fetch(`${server.url}/`);
    expect(hub.status).toBe(200);
    expect(await hub.text()).toBe(readFileSync(new URL('../../web/dist/index.html', import.meta.url), 'utf8'));
  });

  test('signals: a peer joins over the WebSocket', async () => {
    const socket = await joinWith(server.wsUrl, await getToken(server.url, key, 'deno-task-peer'));
    expect(socket.welcome).toMatchObject({ type: 'welcome', peerId: idFor('deno-task-peer') });
    socket.close();
  });

  test('SIGTERM stops the task and the server behind it with exit code 0', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });
});
