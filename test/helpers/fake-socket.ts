import type { TabmeshServer } from '../../server/create-server.ts';

/** An in-process socket on the hub (pure-logic tests only): records frames, waits for types. */
export async function attachFakePeer(server: TabmeshServer, token: string) {
  const frames: Array<Record<string, any>> = [];
  const waiters: Array<{ type: string; resolve: (f: Record<string, any>) => void }> = [];
  let closed: { code: number; reason: string } | undefined;
  const conn = server.relay.accept(
    {
      send: (d) => {
        const f = JSON.parse(d) as Record<string, any>;
        const i = waiters.findIndex((w) => w.type === f.type);
        if (i >= 0) waiters.splice(i, 1)[0]!.resolve(f);
        else frames.push(f);
      },
      close: (code, reason) => void (closed = { code, reason }),
      bufferedAmount: 0,
    },
    { remoteAddress: '127.0.0.1' },
  );
  const next = (type: string, timeoutMs = 2000) => {
    const i = frames.findIndex((f) => f.type === type);
    if (i >= 0) return Promise.resolve(frames.splice(i, 1)[0]!);
    return new Promise<Record<string, any>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${type} frame; have ${JSON.stringify(frames)}`)), timeoutMs);
      waiters.push({ type, resolve: (f) => (clearTimeout(timer), resolve(f)) });
    });
  };
  const send = (frame: unknown) => {
    const text = JSON.stringify(frame);
    conn.message(text, new TextEncoder().encode(text).byteLength);
  };
  send({ type: 'hello', token });
  await next('welcome');
  return { frames, next, send, conn, get closed() { return closed; } };
}
