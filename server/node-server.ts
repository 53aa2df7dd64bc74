import { serve, type ServerType } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { createTabmeshServer } from './create-server.ts';
import { clientAddress } from './http/client-address.ts';
import { FORBIDDEN_ORIGIN_MESSAGE, websocketOriginAllowed } from './http/websocket-origin.ts';
import { serveHub } from './hub-static.ts';
import { createLogger } from './ops/logger.ts';
import { banner, startupOrExit } from './startup.ts';

/** One request header as a string (repeated headers joined, as fetch's Headers does). */
function nodeHeader(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

function destroySocket(this: Duplex): void {
  this.destroy();
}

/** Node entry: HTTP(S) via @hono/node-server, WebSockets via ws (noServer, maxPayload). */
export async function startNodeServer(
  env: Record<string, string | undefined> = process.env,
): Promise<{ port: number; shutdownTimeoutMs: number; close(): Promise<void> }> {
  const { config, secrets, store } = await startupOrExit(env, (code) => process.exit(code));
  const logger = createLogger(config.logLevel);
  const server = await createTabmeshServer({ config, secrets, store, logger, serveHub: serveHub(config.hubDir) });
  let tls: { cert: Buffer; key: Buffer } | undefined;
  try {
    tls = config.tlsCertFile && config.tlsKeyFile ? { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) } : undefined;
  } catch (err) {
    console.error(`tabmesh: cannot read TLS_CERT_FILE / TLS_KEY_FILE: ${(err as Error).message}`);
    return process.exit(1);
  }

  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes, perMessageDeflate: false });
  const attach = (ws: WebSocket, socket: Duplex, remoteAddress: string) => {
    // Frames sent to one socket in the same tick (a peer's burst of ICE candidates) leave in one
    // write syscall instead of one each: cork on the first, uncork once the tick's synchronous
    // work is done. bufferedAmount still counts corked bytes, so backpressure is unchanged.
    let corked = false;
    const flush = () => {
      corked = false;
      socket.uncork();
    };
    const conn = server.relay.accept(
      {
        send: (d) => {
          if (!corked) {
            corked = true;
            socket.cork();
            process.nextTick(flush);
          }
          ws.send(d);
        },
        close: (code, reason) => ws.close(code, reason),
        get bufferedAmount() { return ws.bufferedAmount; },
        ping: () => ws.ping(),
      },
      { remoteAddress },
    );
    ws.on('message', (data, isBinary) => {
      // binaryType 'nodebuffer' (the default) delivers a Buffer; the other shapes are for safety.
      const buf = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
      if (isBinary) conn.binary(buf.byteLength);
      else conn.message(buf.toString('utf8'), buf.byteLength);
    });
    ws.on('pong', () => conn.alive());
    ws.on('close', () => conn.closed());
    ws.on('error', (err: Error & { code?: string }) => {
      // ws enforces maxPayload itself (closing with 1009); tell the relay so it is counted and logged.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') conn.oversized();
      else logger.debug('socket error', { err });
    });
  };

  let onListening!: (port: number) => void;
  let onError!: (err: Error) => void;
  const listening = new Promise<number>((res, rej) => ((onListening = res), (onError = rej)));
  const http: ServerType = serve(
    {
      fetch: server.app.fetch, port: config.port, hostname: config.host,
      ...(tls ? { createServer: createHttpsServer, serverOptions: tls } : {}),
    },
    (info) => onListening(info.port),
  );
  http.on('error', (err) => onError(err));
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // Node drops its own error listener from upgraded sockets: without one, a reset crashes us.
    // A listener without closures over `req`: one that captured it kept every upgrade request
    // (headers and all, ~2 KB) alive for the socket's lifetime.
    socket.on('error', destroySocket);
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (!websocketOriginAllowed(req.headers.origin, req.headers.host, config)) {
      server.metrics.rejections.inc({ reason: 'http-403' });
      const body = JSON.stringify({ error: { code: 'forbidden-origin', message: FORBIDDEN_ORIGIN_MESSAGE } });
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
      return;
    }
    const headers = { get: (name: string) => nodeHeader(req, name) };
    const remoteAddress = clientAddress(req.socket.remoteAddress ?? 'unknown', headers, config.trustProxy);
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, socket, remoteAddress));
  });
  const port = await listening.catch((err: Error) => {
    console.error(`tabmesh: cannot listen on ${config.host}:${config.port}: ${err.message}`);
    return process.exit(1);
  });
  server.setReadiness('ready');
  console.log(banner(config, secrets, tls ? 'https' : 'http', port));

  let closing: Promise<void> | undefined;
  const close = () => (closing ??= (async () => {
    server.setReadiness('draining');
    logger.info('shutting down');
    const httpClosed = new Promise<void>((resolve) => http.close(() => resolve()));
    const released = Promise.resolve(server.shutdown(httpClosed)).catch((err: unknown) => logger.error('shutdown failed', { err }));
    // Give clients a moment to answer the close handshake, then cut what is left.
    setTimeout(() => {
      for (const ws of wss.clients) ws.terminate();
      (http as { closeAllConnections?: () => void }).closeAllConnections?.();
    }, 500).unref();
    await Promise.all([httpClosed, released]);
  })());
  return { port, shutdownTimeoutMs: config.shutdownTimeoutMs, close };
}

/** Starts the server and exits cleanly on SIGTERM/SIGINT within TABMESH_SHUTDOWN_TIMEOUT_MS (8 s). */
export async function runNodeServer(env: Record<string, string | undefined> = process.env): Promise<void> {
  let running: Awaited<ReturnType<typeof startNodeServer>> | undefined;
  let signalled = false;
  const drain = (r: NonNullable<typeof running>) => {
    // Past the hard timeout the process exits anyway (code 1), whatever is still open.
    setTimeout(() => process.exit(1), Math.max(100, r.shutdownTimeoutMs - 500)).unref();
    void r.close().then(() => process.exit(0));
  };
  const stop = (signal: string) => {
    if (signalled) return;
    signalled = true;
    console.error(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'signal received', signal }));
    if (running) drain(running);
  };
  // Handlers go in before the listener: a SIGTERM right after the banner must drain, not kill.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  running = await startNodeServer(env);
  if (signalled) drain(running);
}
