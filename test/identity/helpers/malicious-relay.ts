import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';

/**
 * A compromised signaling server for tests: a real HTTP + WebSocket server in front of the real
 * tabmesh server that forwards everything (hub files, /api, the `/ws` frame protocol) and lets a
 * test rewrite, drop or inject signaling frames per peer. Attacks are built from `Hook`s
 * (impersonate.ts, dtls-mitm.ts).
 */
export type Frame = Record<string, unknown> & { type: string; to?: string; from?: string; payload?: unknown };

/** `undefined`: pass unchanged; `null`: drop; a frame: send that instead. */
export type HookResult = Frame | null | undefined;

export interface Hook {
  /** A frame a client sent (towards the server); `from` is the client's peer id. */
  up?(from: string, frame: Frame): HookResult;
  /** A frame the server sent to client `to`. */
  down?(to: string, frame: Frame): HookResult;
}

export interface MaliciousRelay {
  /** Base URL to give peers and tabs instead of the real server's. */
  url: string;
  /** Adds an attack (on top of those already added: see `apply`); returns its removal. */
  use(hook: Hook): () => void;
  /** Sends `frame` to client `peerId` as if the server had (false when it is not connected). */
  inject(peerId: string, frame: Frame): boolean;
  close(): Promise<void>;
}

interface Client {
  peerId: string | undefined;
  down: WebSocket;
  up: WebSocket;
  /** Client frames that arrived before the upstream socket opened. */
  early: string[];
}

/** Starts the relay on 127.0.0.1 in front of `upstream` (the real server's http URL). */
export async function startMaliciousRelay(upstream: string): Promise<MaliciousRelay> {
  const target = new URL(upstream);
  const hooks = new Set<Hook>();
  const clients = new Set<Client>();

  const server: Server = createServer((req, res) => {
    // Plain HTTP passes untouched: the hub's files, /api/token, /api/config.
    const fwd = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    fwd.on('error', () => res.destroyed || res.writeHead(502).end());
    req.pipe(fwd);
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => undefined);
    wss.handleUpgrade(req, socket, head, (down) => accept(down));
  });

  // Hooks stack like layers: the last one added sits closest to the clients, so it sees frames
  // from clients first and frames to clients last; each hook gets what the previous one made.
  const apply = (order: 'up' | 'down', pick: (h: Hook, f: Frame) => HookResult, frame: Frame): Frame | null => {
    let out: Frame = frame;
    const layers = order === 'down' ? [...hooks] : [...hooks].reverse();
    for (const h of layers) {
      const r = pick(h, out);
      if (r === null) return null;
      if (r) out = r;
    }
    return out;
  };

  function accept(down: WebSocket): void {
    const up = new WebSocket(`${target.protocol === 'https:' ? 'wss' : 'ws'}://${target.host}/ws`);
    const c: Client = { peerId: undefined, down, up, early: [] };
    clients.add(c);
    up.on('open', () => c.early.splice(0).forEach((t) => up.send(t)));
    down.on('message', (data) => {
      const text = data.toString();
      const frame = parse(text);
      const out = frame && c.peerId ? apply('up', (h, f) => h.up?.(c.peerId!, f), frame) : frame;
      if (out === null) return;
      const sendText = out === frame || !out ? text : JSON.stringify(out);
      if (up.readyState === WebSocket.OPEN) up.send(sendText);
      else c.early.push(sendText);
    });
    up.on('message', (data) => {
      const text = data.toString();
      const frame = parse(text);
      if (frame?.type === 'welcome' && typeof frame.peerId === 'string') c.peerId = frame.peerId;
      const out = frame && c.peerId ? apply('down', (h, f) => h.down?.(c.peerId!, f), frame) : frame;
      if (out === null) return;
      if (down.readyState === WebSocket.OPEN) down.send(out === frame || !out ? text : JSON.stringify(out));
    });
    const closeBoth = (code: number, reason: Buffer) => {
      clients.delete(c);
      const safe = code >= 1000 && code !== 1005 && code !== 1006 ? code : 1000;
      for (const s of [down, up]) if (s.readyState === WebSocket.OPEN) s.close(safe, reason.toString().slice(0, 100));
      else if (s.readyState === WebSocket.CONNECTING) s.terminate();
    };
    down.on('close', closeBoth);
    up.on('close', closeBoth);
    down.on('error', () => undefined);
    up.on('error', () => undefined);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    use(hook) {
      hooks.add(hook);
      return () => void hooks.delete(hook);
    },
    inject(peerId, frame) {
      const c = [...clients].find((x) => x.peerId === peerId && x.down.readyState === WebSocket.OPEN);
      c?.down.send(JSON.stringify(frame));
      return c !== undefined;
    },
    async close() {
      for (const c of clients) (c.down.terminate(), c.up.terminate());
      clients.clear();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function parse(text: string): Frame | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && typeof (v as Frame).type === 'string' ? (v as Frame) : undefined;
  } catch {
    return undefined;
  }
}
