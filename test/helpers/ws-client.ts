import WebSocket from 'ws';

export interface TestSocket {
  ws: WebSocket;
  /** Resolves with the next frame of `type` (skipping and keeping others), or rejects after `timeoutMs`. */
  next<T = Record<string, unknown>>(type: string, timeoutMs?: number): Promise<T>;
  send(frame: unknown): void;
  sendRaw(data: string | Buffer): void;
  /** Resolves with the close code once the server closes the socket. */
  closed: Promise<{ code: number; reason: string }>;
  frames: Array<Record<string, unknown>>;
  close(): void;
}

/** Opens a raw signaling socket (no hello sent) and queues every frame it receives. */
export async function openSocket(wsUrl: string, options?: WebSocket.ClientOptions): Promise<TestSocket> {
  // `options` carries e.g. `{ ca }` for a wss:// server with a self-signed certificate.
  const ws = new WebSocket(wsUrl, options);
  const frames: Array<Record<string, unknown>> = [];
  const waiters: Array<{ type: string; resolve: (f: Record<string, unknown>) => void }> = [];
  ws.on('message', (data) => {
    const frame = JSON.parse(data.toString()) as Record<string, unknown>;
    const i = waiters.findIndex((w) => w.type === frame.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(frame);
    else frames.push(frame);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
  return {
    ws, frames, closed,
    next<T>(type: string, timeoutMs = 5000) {
      const i = frames.findIndex((f) => f.type === type);
      if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0] as T);
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${type}" frame within ${timeoutMs} ms; got ${JSON.stringify(frames)}`)), timeoutMs);
        waiters.push({ type, resolve: (f) => (clearTimeout(timer), resolve(f as T)) });
      });
    },
    send: (frame) => ws.send(JSON.stringify(frame)),
    sendRaw: (data) => ws.send(data),
    close: () => ws.close(),
  };
}

/** Opens a socket, says hello with `token` and waits for `welcome`. */
export async function joinWith(wsUrl: string, token: string, options?: WebSocket.ClientOptions): Promise<TestSocket & { welcome: Record<string, unknown> }> {
  const s = await openSocket(wsUrl, options);
  s.send({ type: 'hello', token });
  const welcome = await Promise.race([
    s.next('welcome'),
    s.closed.then((c) => { throw new Error(`closed ${c.code} ${c.reason} before welcome`); }),
  ]);
  return Object.assign(s, { welcome });
}
