// Deno entry: Deno.serve + Deno.upgradeWebSocket around the same Hono app.
import { createTabmeshServer } from './create-server.ts';
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
    handler: (req: Request, info: { remoteAddr: { hostname: string } }) => Response | Promise<Response>,
  ): { finished: Promise<void>; shutdown(): Promise<void> };
};

const env = Deno.env.toObject();
const { config, secrets } = await startupOrExit(env, (code) => Deno.exit(code));
const logger = createLogger(config.logLevel);
const server = await createTabmeshServer({ config, secrets, logger, serveHub: serveHub(config.hubDir) });
const tls = config.tlsCertFile && config.tlsKeyFile
  ? { cert: Deno.readTextFileSync(config.tlsCertFile), key: Deno.readTextFileSync(config.tlsKeyFile) }
  : {};
const encoder = new TextEncoder();
// A UTF-8 string is at most 3 bytes per UTF-16 unit: skip encoding when it cannot be over the limit.
const byteLength = (s: string) => (s.length * 3 <= config.maxFrameBytes ? s.length : encoder.encode(s).byteLength);

// Deno.serve throws synchronously when it cannot bind (e.g. AddrInUse): report it like Node does.
let http: ReturnType<typeof Deno.serve>;
try {
  http = Deno.serve(
  {
    port: config.port, hostname: config.host, ...tls,
    onListen: ({ port }) => {
      server.setReadiness('ready');
      console.log(banner(config, secrets, tls.cert ? 'https' : 'http', port));
    },
  },
  (req, info) => {
    if (new URL(req.url).pathname === '/ws' && req.headers.get('upgrade')?.toLowerCase() === 'websocket') {
      // remoteAddr is unreadable once the request is upgraded, so read it first.
      const remoteAddress = info.remoteAddr.hostname;
      // Deno pings and drops dead peers itself (idleTimeout), so the adapter has no ping().
      const { socket, response } = Deno.upgradeWebSocket(req, { idleTimeout: Math.ceil(config.idleTimeoutMs / 1000) });
      let conn: ReturnType<typeof server.hub.accept> | undefined;
      socket.onopen = () => {
        conn = server.hub.accept(
          {
            send: (d) => socket.send(d),
            close: (code, reason) => socket.close(code, reason),
            get bufferedAmount() { return socket.bufferedAmount; },
          },
          { remoteAddress },
        );
      };
      // Deno has no maxPayload: it buffers up to its own 64 MiB cap and the hub closes with 1009.
      socket.binaryType = 'arraybuffer';
      socket.onmessage = (e) => {
        if (typeof e.data === 'string') conn?.message(e.data, byteLength(e.data));
        else conn?.binary((e.data as ArrayBuffer).byteLength);
      };
      socket.onclose = () => conn?.closed();
      socket.onerror = () => undefined;
      return response;
    }
    return server.app.fetch(req, info);
  },
  );
} catch (err) {
  console.error(`tabmesh: cannot listen on ${config.host}:${config.port}: ${(err as Error).message}`);
  Deno.exit(1);
}

let exiting = false;
const stop = () => {
  if (exiting) return;
  exiting = true;
  logger.info('signal received, shutting down');
  server.setReadiness('draining');
  // Past the hard timeout the process exits anyway (code 1), whatever is still open.
  setTimeout(() => Deno.exit(1), Math.max(100, config.shutdownTimeoutMs - 500));
  const released = Promise.resolve(server.shutdown()).catch((err: unknown) => logger.error('shutdown failed', { err }));
  void Promise.all([released, http.shutdown()]).then(() => Deno.exit(0));
};
Deno.addSignalListener('SIGTERM', stop);
Deno.addSignalListener('SIGINT', stop);
