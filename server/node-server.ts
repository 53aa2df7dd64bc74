import { serve, type ServerType } from '@hono/node-server';
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { createTabmeshServer } from './create-server.ts';
import { serveHub } from './hub-static.ts';
import { createLogger } from './ops/logger.ts';
import { banner, startupOrExit } from './startup.ts';

/** Node entry: HTTP(S) via @hono/node-server, WebSockets via ws (noServer, maxPayload). */
export async function startNodeServer(
  env: Record<string, string | undefined> = process.env,
): Promise<{ port: number; shutdownTimeoutMs: number; close(): Promise<void> }> {
  const { config, secrets } = await startupOrExit(env, (code) => process.exit(code));
  const logger = createLogger(config.logLevel);
  const server = await createTabmeshServer({ config, secrets, logger, serveHub: serveHub(config.hubDir) });
  const tls = config.tlsCertFile && config.tlsKeyFile
    ? { cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }
    : undefined;

  const wss = new WebSocketServer({ noServer: true, maxPayload: config.maxFrameBytes, perMessageDeflate: false });
  const attach = (ws: WebSocket, req: IncomingMessage) => {
    const conn = server.hub.accept(
      {
        send: (d) => ws.send(d),
        close: (code, reason) => ws.close(code, reason),
        get bufferedAmount() { return ws.bufferedAmount; },
        ping: () => ws.ping(),
      },
      { remoteAddress: req.socket.remoteAddress ?? 'unknown' },
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
      // ws enforces maxPayload itself (closing with 1009); tell the hub so it is counted and logged.
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
    socket.on('error', () => socket.destroy());
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(ws, req));
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
    const released = Promise.resolve(server.shutdown()).catch((err: unknown) => logger.error('shutdown failed', { err }));
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
  const running = await startNodeServer(env);
  let exiting = false;
  const stop = (signal: string) => {
    if (exiting) return;
    exiting = true;
    console.error(JSON.stringify({ time: new Date().toISOString(), level: 'info', msg: 'signal received', signal }));
    // Past the hard timeout the process exits anyway (code 1), whatever is still open.
    setTimeout(() => process.exit(1), Math.max(100, running.shutdownTimeoutMs - 500)).unref();
    void running.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
