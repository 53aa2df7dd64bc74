import { connect, createServer, type Server } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.ts';
import { startTcpBalancer } from '../helpers/tcp-balancer.ts';

const servers: Server[] = [];
afterAll(() => servers.forEach((s) => s.close()));

/** A TCP server that answers every line with `<name>:<line>`. */
async function echo(name: string): Promise<number> {
  const server = createServer((s) => s.on('data', (d) => s.write(`${name}:${d}`)));
  servers.push(server);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

/** Opens a connection through the balancer, sends `msg`, resolves with the first reply (or '' on close). */
function ask(port: number, msg: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => s.write(msg));
    s.once('data', (d) => (resolve(String(d)), s.end()));
    s.once('close', () => resolve(''));
    s.once('error', () => undefined);
  });
}

describe('test TCP load balancer', () => {
  it('round-robins connections, skips a backend that refuses, and closes clients when none is left', async () => {
    const [a, b] = [await echo('a'), await echo('b')];
    const dead = await freePort();
    const lb = await startTcpBalancer([a, dead, b]);
    const replies: string[] = [];
    for (let i = 0; i < 4; i++) replies.push(await ask(lb.port, `${i}`));
    // The dead backend's turn goes to the next one.
    expect(replies).toEqual(['a:0', 'b:1', 'b:2', 'a:3']);
    expect(lb.routed).toEqual([0, 2, 2, 0]);
    await lb.close();

    const none = await startTcpBalancer([dead]);
    expect(await ask(none.port, 'x')).toBe('');
    await none.close();
  });
});
