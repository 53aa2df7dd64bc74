// Deno entry: Deno.serve + Deno.upgradeWebSocket around the same Hono app.
import { createTabmeshServer } from './create-server.ts';
import { clientAddress } from './http/client-address.ts';
import { FORBIDDEN_ORIGIN_MESSAGE, websocketOriginAllowed } from './http/websocket-origin.ts';
import { serveHub } from './hub-static.ts';
import { createLogger } from './ops/logger.ts';
import { banner, startupOrExit } from './startup.ts';

declare const Deno: {
  env: { toObject(): Record<string, string> };
  exit(code: number): never;
  readTextFileSync(path: string): string;
  addSignalListener(signal: 'SIGTERM' | 'SIGINT', handler: () => void): void;
  upgradeWebSocket(req: Request, opts?: { idleTimeout?: number }): { socket: WebSocket; response: Response };
  serve(
    opts: { port: number; hostname: string; cert?: string; key?: string; onListen?: (addr: { port: number }) => void },
    handler: (req: Request, info: ServeInfo) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void> };
};

const env = Deno.env.toObject();
const { config, secrets, store } = await startupOrExit(env, (code) => Deno.exit(code));
const logger = createLogger(config.logLevel);
const server = await createTabmeshServer({ config, secrets, store, logger, serveHub: serveHub(config.hubDir) });
let tls: { cert?: string; key?: string } = {};
try {
  if (config.tlsCertFile && config.tlsKeyFile) tls = { cert: Deno.readTextFileSync(config.tlsCertFile), key: Deno.readTextFileSync(config.tlsKeyFile) };
} catch (err) {
  console.error(`tabmesh: cannot read TLS_CERT_FILE / TLS_KEY_FILE: ${(err as Error).message}`);
  Deno.exit(1);
}
const encoder = new TextEncoder();
// A UTF-8 string is at most 3 bytes per UTF-16 unit: skip encoding when it cannot be over the limit.
const byteLength = (s: string) => (s.length * 3 <= config.maxFrameBytes ? s.length : encoder.encode(s).byteLength);

type ServeInfo = { remoteAddr: { hostname: string } };

const refuse = (status: number, code: string, message: string) =>
  new Response(JSON.stringify({ error: { code, message } }), { status, headers: { 'content-type': 'application/json' } });

function handle(req: Request, info: ServeInfo): Response | Promise<Response> {
  if (req.headers.get('upgrade')?.toLowerCase() !== 'websocket') return server.app.fetch(req, info);
  // Like the Node entry: WebSocket upgrades exist on /ws only.
  if (new URL(req.url).pathname !== '/ws') return refuse(404, 'not-found', 'WebSocket upgrades are served on /ws only');
  if (!websocketOriginAllowed(req.headers.get('origin'), req.headers.get('host'), config)) {
    server.metrics.rejections.inc({ reason: 'http-403' });
    return refuse(403, 'forbidden-origin', FORBIDDEN_ORIGIN_MESSAGE);
  }
  // remoteAddr is unreadable once the request is upgraded, so read it first.
  const remoteAddress = clientAddress(info.remoteAddr.hostname, req.headers, config.trustProxy);
  let upgraded: ReturnType<typeof Deno.upgradeWebSocket>;
  try {
    // Deno pings and drops dead peers itself (idleTimeout), so the adapter has no ping().
    upgraded = Deno.upgradeWebSocket(req, { idleTimeout: Math.ceil(config.idleTimeoutMs / 1000) });
  } catch (err) {
    // A malformed handshake (no Sec-WebSocket-Key, wrong version) is the client's fault, not a 500.
    return refuse(400, 'bad-upgrade', (err as Error).message);
  }
  const { socket, response } = upgraded;
  let conn: ReturnType<typeof server.relay.accept> | undefined;
  socket.onopen = () => {
    conn = server.relay.accept(
      {
        send: (d) => socket.send(d),
        close: (code, reason) => socket.close(code, reason),
        get bufferedAmount() { return socket.bufferedAmount; },
      },
      { remoteAddress },
    );
  };
  // Deno has no maxPayload: it buffers up to its own 64 MiB cap and the relay closes with 1009.
  socket.binaryType = 'arraybuffer';
  socket.onmessage = (e) => {
    if (typeof e.data === 'string') conn?.message(e.data, byteLength(e.data));
    else conn?.binary((e.data as ArrayBuffer).byteLength);
  };
  socket.onclose = () => conn?.closed();
  socket.onerror = () => undefined;
  return response;
}

// Signal handlers go in before the listener: a SIGTERM right after the banner must drain, not kill.
let http: ReturnType<typeof Deno.serve> | undefined;
let exiting = false;
const stop = () => {
  if (exiting) return;
  exiting = true;
  logger.info('signal received, shutting down');
  server.setReadiness('draining');
  // Past the hard timeout the process exits anyway (code 1), whatever is still open.
  setTimeout(() => Deno.exit(1), Math.max(100, config.shutdownTimeoutMs - 500));
  // Give clients a moment to answer the close handshake, then cut what is left (as Node does):
  // a client that reset mid-upgrade leaves a connection http.shutdown() would wait on forever.
  const drained = Promise.race([http?.shutdown(), new Promise((resolve) => setTimeout(resolve, 1000))]);
  void Promise.resolve(server.shutdown(drained)).catch((err: unknown) => logger.error('shutdown failed', { err })).then(() => Deno.exit(0));
};
Deno.addSignalListener('SIGTERM', stop);
Deno.addSignalListener('SIGINT', stop);

const onListen = ({ port }: { port: number }) => {
  server.setReadiness('ready');
  console.log(banner(config, secrets, tls.cert ? 'https' : 'http', port));
};
try {
  http = Deno.serve({ port: config.port, hostname: config.host, ...tls, onListen }, handle);
} catch (err) {
  // Deno.serve throws synchronously when it cannot bind (e.g. AddrInUse): report it like Node does.
  console.error(`tabmesh: cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  Deno.exit(1);
}
