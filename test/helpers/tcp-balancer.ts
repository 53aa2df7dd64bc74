import { createConnection, createServer, type Socket } from 'node:net';

export interface TcpBalancer {
  /** `http://127.0.0.1:<port>`: what clients use instead of any one backend. */
  url: string;
  port: number;
  /** Which backend (index into `backends`) each accepted connection went to, in order. */
  readonly routed: number[];
  /** Live client connections per backend index. */
  active(): number[];
  close(): Promise<void>;
}

/**
 * A tiny layer-4 load balancer for tests (node:net): each client connection goes to the next
 * backend port in round-robin order; a backend that refuses the connection is skipped (the next
 * one is tried), and when every backend refuses, the client is closed. Bytes are piped both ways
 * untouched, so WebSockets and keep-alive HTTP work; when either side closes, so does the other.
 */
export async function startTcpBalancer(backends: number[], host = '127.0.0.1'): Promise<TcpBalancer> {
  let next = 0;
  const routed: number[] = [];
  const live = new Map<Socket, number>();

  const connectFrom = (start: number, tried: number, client: Socket) => {
    if (tried >= backends.length || client.destroyed) return void client.destroy();
    const i = (start + tried) % backends.length;
    const upstream = createConnection({ host, port: backends[i]! });
    const refused = () => connectFrom(start, tried + 1, client);
    upstream.once('error', refused);
    upstream.once('connect', () => {
      upstream.off('error', refused);
      if (client.destroyed) return void upstream.destroy();
      routed.push(i);
      live.set(client, i);
      const end = () => (client.destroy(), upstream.destroy(), live.delete(client));
      upstream.on('error', end).on('close', end);
      client.on('error', end).on('close', end);
      client.pipe(upstream).pipe(client);
      client.resume();
    });
  };

  const server = createServer({ pauseOnConnect: true }, (client) => {
    const start = next;
    next = (next + 1) % backends.length;
    // Until a backend is chosen, a client that gives up is simply dropped.
    client.on('error', () => client.destroy());
    connectFrom(start, 0, client);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve((server.address() as { port: number }).port));
  });
  return {
    url: `http://${host}:${port}`, port, routed,
    active: () => backends.map((_, i) => [...live.values()].filter((b) => b === i).length),
    async close() {
      for (const c of live.keys()) c.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
