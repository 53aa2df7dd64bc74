import { afterAll, beforeAll } from 'vitest';
import type WebSocket from 'ws';
import { getToken, startServer, type Runtime, type ServerProcess } from '../../helpers/server-process.ts';
import { joinWith, type TestSocket } from '../../helpers/ws-client.ts';
import { fetchTokenResponse } from '../../helpers/test-identity.ts';

export type Frame = Record<string, unknown>;

/** Gets a token for the identity derived from `name` (its id: `idFor(name)`) and joins the mesh over a real socket. */
export async function join(server: ServerProcess, key: string, name: string, options?: WebSocket.ClientOptions) {
  return joinWith(server.wsUrl, await getToken(server.url, key, name), options);
}

/** Every frame `socket` receives from now on, consumed by `next()` or not. */
export function record(socket: TestSocket): Frame[] {
  const log: Frame[] = [];
  socket.ws.on('message', (data) => log.push(JSON.parse(String(data)) as Frame));
  return log;
}

let barriers = 0;

/**
 * Orders "nothing arrived" checks: `from` relays a marker to `to` and waits for it. Anything the
 * server wrote to `to` earlier (e.g. a leak from another socket handled before) has then arrived.
 */
export async function barrier(from: TestSocket, to: TestSocket & { welcome: Frame }): Promise<void> {
  const marker = ++barriers;
  from.send({ type: 'relay', to: to.welcome.peerId, payload: { marker } });
  for (;;) {
    const f = await to.next<Frame & { payload: { marker?: number } }>('relay');
    if (f.payload?.marker === marker) return;
  }
}

/** A JSON text frame of exactly `bytes` UTF-8 bytes (a relay with padding). */
export function frameOfSize(to: string, bytes: number): string {
  const empty = JSON.stringify({ type: 'relay', to, payload: { pad: '' } });
  return JSON.stringify({ type: 'relay', to, payload: { pad: 'x'.repeat(bytes - empty.length) } });
}

/** `POST /api/token` with the whole answer (token and expiresAt) for the identity derived from `name`. */
export async function issueToken(server: ServerProcess, key: string, name: string): Promise<{ token: string; expiresAt: number }> {
  return fetchTokenResponse(server.url, key, name);
}

/** Resolves once `socket` has received `count` protocol-level pings. */
export function pings(socket: TestSocket, count: number, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => reject(new Error(`only ${seen} pings within ${timeoutMs} ms`)), timeoutMs);
    socket.ws.on('ping', () => {
      if (++seen === count) (clearTimeout(timer), resolve());
    });
  });
}

/**
 * A real server process for the enclosing `describe`: started before its tests, stopped after.
 * The returned object is filled in by `beforeAll`, so use it inside tests only.
 */
export function serverForSuite(runtime: Runtime, env: Record<string, string>): ServerProcess {
  const server = {} as ServerProcess;
  beforeAll(async () => {
    Object.assign(server, await startServer({ runtime, env }));
  });
  afterAll(async () => {
    await server.stop?.();
  });
  return server;
}
