import type { Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLocalApi, type WatchEvent } from '../../headless-node/local-api/client.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { rawLocalApi } from './helpers/raw-local-api.ts';
import { startNodePeer, type NodePeer } from './helpers/tabmesh-cli.ts';

const KEY = 'agent-key-for-local-api-watch-01';

let server: ServerProcess;
let front: NodePeer;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `agent:${KEY}` } });
  front = await startNodePeer({ url: server.url, key: KEY, name: 'front', args: ['--skills', 'echo'] });
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await front?.stop('SIGKILL');
  await server?.stop();
});

/** Collects watch events; `until` waits (up to 20 s) for one matching `match`. */
function collector() {
  const events: WatchEvent[] = [];
  const waiters = new Set<() => void>();
  return {
    events,
    push(e: WatchEvent) {
      events.push(e);
      for (const w of [...waiters]) w();
    },
    until(match: (e: WatchEvent) => boolean): Promise<WatchEvent> {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = events.find(match);
          if (!hit) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(hit);
        };
        const timer = setTimeout(() => (waiters.delete(check), reject(new Error(`no such watch event in 20 s; got ${JSON.stringify(events)}`))), 20_000);
        waiters.add(check);
        check();
      });
    },
  };
}

describe('local API watch', () => {
  it('streams peers joining and leaving and this node\'s agents changing, until stopped', async () => {
    const api = await connectLocalApi(front.dataDir);
    const seen = collector();
    const watching = await api.watch((e) => seen.push(e));
    try {
      const other = await startNodePeer({ url: server.url, key: KEY, name: 'other', args: ['--skills', 'time'] });
      expect(await seen.until((e) => e.event === 'peer-joined' && e.peerId === other.peerId)).toEqual({ event: 'peer-joined', peerId: other.peerId, role: 'agent' });

      const helper = await connectLocalApi(front.dataDir);
      await helper.register('helper', [{ name: 'shout' }], (_skill, input) => String(input).toUpperCase());
      expect(await seen.until((e) => e.event === 'agents-changed' && e.agents.includes('helper'))).toMatchObject({ agents: expect.arrayContaining(['helper']) });
      const before = seen.events.length;
      helper.close();
      await seen.until((e) => seen.events.indexOf(e) >= before && e.event === 'agents-changed' && !e.agents.includes('helper'));

      await other.stop('SIGKILL');
      expect(await seen.until((e) => e.event === 'peer-left' && e.peerId === other.peerId)).toMatchObject({ event: 'peer-left', peerId: other.peerId });
    } finally {
      watching.stop();
      await watching.ended;
      api.close();
    }
  }, 90_000);

  it('speaks plain NDJSON: a watching chunk first, and a cancelled error reply once cancelled', async () => {
    const { send, next } = await rawLocalApi(front.dataDir, sockets);
    send('{"id":"w","op":"watch"}');
    expect(await next()).toEqual({ id: 'w', chunk: { event: 'watching', peerId: front.peerId } });
    send('{"id":"w","op":"watch"}');
    expect(await next()).toMatchObject({ id: 'w', ok: false, error: { code: 'duplicate-id' } });
    send('{"id":"c","op":"cancel","target":"w"}');
    const replies = [await next(), await next()];
    expect(replies).toContainEqual({ id: 'c', ok: true, result: { cancelled: true } });
    expect(replies).toContainEqual({ id: 'w', ok: false, error: { code: 'cancelled', message: 'cancelled by the client' } });
    send('{"op":"watch"}');
    expect(await next()).toMatchObject({ id: null, ok: false, error: { code: 'bad-request', message: expect.stringMatching(/^id: /) } });
  });
});
