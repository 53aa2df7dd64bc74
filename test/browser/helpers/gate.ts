import { createServer, type ServerResponse } from 'node:http';

export interface Gate {
  url: string;
  /** Resolves once a request is waiting at the gate. */
  reached(): Promise<void>;
  /** Answers every waiting (and future) request with `body`. */
  open(body: string): void;
  close(): Promise<void>;
}

/** An HTTP endpoint on 127.0.0.1 that holds requests until the test opens it. */
export async function createGate(): Promise<Gate> {
  const waiting: ServerResponse[] = [];
  let body: string | undefined;
  let onReached: (() => void) | undefined;
  const reached = new Promise<void>((r) => (onReached = r));
  const server = createServer((_req, res) => {
    if (body !== undefined) return void res.end(body);
    waiting.push(res);
    onReached?.();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/gate`,
    reached: () => reached,
    open(text) {
      body = text;
      for (const res of waiting.splice(0)) res.end(text);
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}
