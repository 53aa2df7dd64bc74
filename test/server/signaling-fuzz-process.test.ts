import fc from 'fast-check';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { getToken, startServer, type Runtime } from '../helpers/server-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import type { TestSocket } from '../helpers/ws-client.ts';
import { wireActions } from './support/frame-fuzz.ts';
import { barrier, join, record, serverForSuite } from './support/signaling.ts';
import { idFor } from '../helpers/test-identity.ts';

const ADMIN = 'admin-key-fuzz-0123456789';
const BETA = 'agent-key-fuzz-beta-0123456789';
const ENV = {
  TABMESH_API_KEYS: `admin:${ADMIN},agent:${BETA}:beta`,
  TABMESH_MAX_FRAME_BYTES: '4096',
  // High enough that frames reach the handler instead of the rate limiter.
  TABMESH_RATE_LIMIT_PER_SEC: '100000',
};

/** Sends raw bytes over TCP and resolves with whatever comes back before the server closes (or 1 s of silence). */
function rawHttp(port: number, request: string, opts: { reset?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(request);
      if (opts.reset) socket.resetAndDestroy();
    });
    const done = () => resolve(Buffer.concat(chunks).toString('latin1'));
    socket.setTimeout(1000, () => socket.destroy());
    socket.on('data', (d) => chunks.push(d));
    socket.on('close', done);
    socket.on('error', () => undefined);
  });
}

describe.each<Runtime>(['node', 'deno'])('fuzzing a real %s process', (runtime) => {
  const server = serverForSuite(runtime, ENV);

  const metric = async (re: RegExp) => {
    const text = await (await fetch(`${server.url}/metrics`, { headers: { 'x-api-key': ADMIN } })).text();
    return [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
  };
  /** Frames handled in full (validated and routed): the frame-time histogram's count. */
  const framesRouted = () => metric(/^tabmesh_frame_handle_seconds_count(?:\{[^}]*\})? (\d+)$/gm);
  /** Frames refused (error frame or closed socket): every WebSocket rejection reason, not HTTP's. */
  const framesRefused = () => metric(/^tabmesh_rejections_total\{reason="(?!http-)[^"]*"\} (\d+)$/gm);
  /** Sockets the hub closed (oversized, abusive, …), as `close-<code>` rejections. */
  const socketsClosed = () => metric(/^tabmesh_rejections_total\{reason="close-\d+"\} (\d+)$/gm);

  const alive = async () => {
    expect(server.proc.exitCode).toBeNull();
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
  };

  it('survives 400 hostile frames, leaks nothing to another mesh and keeps serving', async () => {
    const observer = await join(server, BETA, 'observer');
    const seen = record(observer);
    const tokens = await Promise.all(['x1', 'x2', 'x3'].map((id) => getToken(server.url, ADMIN, id)));
    const actions = fc.sample(wireActions({ peerIds: ['f0', 'f1', idFor('observer'), 'nobody'], tokens: [...tokens, 'not-a-token'], maxFrameBytes: 4096 }), 400);
    let generation = 0;
    const fresh = async () => join(server, ADMIN, `f${generation++ % 2}-${generation}`).catch(() => undefined);
    let senders: Array<TestSocket | undefined> = [await fresh(), await fresh()];
    // Each frame's fate is awaited before the next is sent: without that, a socket the server
    // had closed kept "receiving" the rest of the 400 (the client learns of the close only when
    // its event loop runs) and about 5 frames ever reached the server.
    let delivered = 0;
    const [routedBefore, refusedBefore, closedBefore] = [await framesRouted(), await framesRefused(), await socketsClosed()];
    for (const [i, action] of actions.entries()) {
      // Hostile frames get sockets closed (4400, 1009, …): replace those and keep going.
      senders = await Promise.all(senders.map(async (s) => (s && s.ws.readyState === s.ws.OPEN ? s : fresh())));
      const s = senders[i % 2];
      if (!s) throw new Error(`frame ${i}: no open socket to send it on`);
      const [routed, refused, closed] = [await framesRouted(), await framesRefused(), await socketsClosed()];
      s.sendRaw(action.kind === 'text' ? action.data : Buffer.alloc(action.bytes));
      // Routed (the frame-time histogram), refused with an error frame, or answered by closing the
      // socket (both in rejections_total): a frame dropped without a trace fails this wait.
      await waitFor(async () => (await framesRouted()) > routed || (await framesRefused()) > refused, 10_000, `frame ${i} to be routed or refused`);
      delivered++;
      // Closed for this frame: wait until the client knows, so the next frame gets a fresh socket.
      if ((await socketsClosed()) > closed) await s.closed;
    }
    expect(delivered).toBe(400);
    expect((await framesRouted()) - routedBefore, 'frames validated and routed').toBeGreaterThan(50);
    expect((await framesRefused()) - refusedBefore, 'frames refused or sockets closed').toBeGreaterThan(100);
    expect((await socketsClosed()) - closedBefore, 'sockets closed for what was sent on them').toBeGreaterThan(0);
    await alive();
    // Two well-behaved peers still meet and relay, and the observer in mesh beta heard none of it.
    const p = await join(server, ADMIN, 'after-fuzz-1');
    const q = await join(server, ADMIN, 'after-fuzz-2');
    await barrier(p, q);
    const betaPeer = await join(server, BETA, 'beta-2');
    await barrier(betaPeer, observer);
    expect(seen.filter((f) => !(f.type === 'relay' && f.from === idFor('beta-2')))).toEqual([{ type: 'peer-joined', peer: expect.objectContaining({ peerId: idFor('beta-2') }) }]);
    for (const s of [observer, p, q, betaPeer, ...senders]) s?.close();
  }, 120_000);

  it('refuses path traversal sent as raw HTTP and stays up', async () => {
    for (const path of ['/../../../../etc/passwd', '/..%2f..%2f..%2fetc%2fpasswd', '/%2e%2e/%2e%2e/etc/passwd', '/assets/../../package.json']) {
      const res = await rawHttp(server.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(res, path).not.toContain('root:');
      expect(res, path).not.toContain('"devDependencies"');
    }
    await alive();
  });

  it('survives malformed requests, bad upgrades and clients that reset mid-upgrade', async () => {
    const upgrade = (path: string, extra = '') =>
      `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`;
    const bad = [
      'NONSENSE\r\n\r\n',
      'GET / HTTP/9.9\r\n\r\n',
      `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
      upgrade('/ws'), // no Sec-WebSocket-Key
      upgrade('/ws', 'Sec-WebSocket-Key: short\r\n'),
      upgrade('/elsewhere', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'),
      'POST /api/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"peerId":',
    ];
    // Some of these leave the server waiting for more bytes: the client gives up after its timeout.
    await Promise.all(bad.map((req) => rawHttp(server.port, req)));
    // Resets land while the server is still writing its answer (the 404 for a wrong upgrade path).
    await Promise.all(Array.from({ length: 40 }, (_, i) =>
      rawHttp(server.port, upgrade(i % 2 ? '/elsewhere' : '/ws', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'), { reset: true })));
    await alive();
    // A broken handshake is the client's fault (400), and upgrades exist on /ws only (404).
    expect(await rawHttp(server.port, upgrade('/ws'))).toMatch(/^HTTP\/1\.1 400 /);
    expect(await rawHttp(server.port, upgrade('/elsewhere', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'))).toMatch(/^HTTP\/1\.1 404 /);
  });

  it('still drains and exits 0 on SIGTERM after all of that', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
  });
});

describe.each<Runtime>(['node', 'deno'])('signals on %s', (runtime) => {
  it('a SIGTERM right after the banner drains and exits 0 instead of killing the process', async () => {
    const server = await startServer({ runtime, env: ENV });
    expect(await server.stop('SIGTERM')).toBe(0);
    expect(server.proc.signalCode).toBeNull();
  });
});
