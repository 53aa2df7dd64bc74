import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';

/** A raw NDJSON connection: what a shell or Python user types. */
export async function rawLocalApi(dataDir: string, sockets: Socket[]) {
  const socket = connect(join(dataDir, 'node.sock'));
  sockets.push(socket);
  const lines: Array<Record<string, unknown>> = [];
  const waiters: Array<() => void> = [];
  let buffered = '';
  socket.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    for (const p of parts) lines.push(JSON.parse(p) as Record<string, unknown>);
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let seen = 0;
  /** The next line the node sends (in order), waiting up to 15 s. */
  const next = async (): Promise<Record<string, unknown>> => {
    const deadline = Date.now() + 15_000;
    while (lines.length <= seen) {
      if (Date.now() > deadline) throw new Error(`no line from the node; got ${JSON.stringify(lines)}`);
      await new Promise<void>((r) => (waiters.push(r), setTimeout(r, 1000)));
    }
    return lines[seen++]!;
  };
  const send = (text: string) => socket.write(`${text}\n`);
  expect(await next()).toMatchObject({ event: 'hello', protocol: 1 });
  return { socket, send, next };
}
