import { describe, expect, it } from 'vitest';
import { keyedToken } from '../helpers/keyed-token.ts';
import { joinWith } from '../helpers/ws-client.ts';
import { record, serverForSuite, type Frame } from './support/signaling.ts';

const KEY = 'agent-key-relay-rate-0123456789';
const ENV = {
  TABMESH_API_KEYS: `agent:${KEY}`,
  TABMESH_MAX_FRAME_BYTES: '65536',
  // 5 frames/s (burst 10) against 100 KiB/s of relay bytes: each limit is easy to hit alone.
  TABMESH_RATE_LIMIT_PER_SEC: '5',
  TABMESH_RELAY_BYTES_PER_SEC: '102400',
};

async function pair(server: { url: string; wsUrl: string }) {
  const ta = await keyedToken(server.url, KEY);
  const tb = await keyedToken(server.url, KEY);
  const a = await joinWith(server.wsUrl, ta.token);
  const b = await joinWith(server.wsUrl, tb.token);
  return { a, b, bId: tb.peerId };
}

/** Waits until `log` holds a relay frame whose payload has `marker`. */
async function arrived(log: Frame[], marker: number, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!log.some((f) => f.type === 'relay' && (f.payload as { marker?: number }).marker === marker)) {
    if (Date.now() - start > timeoutMs) throw new Error(`marker ${marker} never arrived; got ${log.length} frames`);
    await new Promise((r) => setImmediate(r));
  }
}

describe('relay byte rate (node entry)', () => {
  const server = serverForSuite('node', ENV);

  it('admits relay frames by bytes, not by the frame rate: 40 small relays pass a 5 frames/s limit', async () => {
    const { a, b, bId } = await pair(server);
    const got = record(b);
    for (let i = 0; i < 40; i++) a.send({ type: 'relay', to: bId, payload: { i } });
    a.send({ type: 'relay', to: bId, payload: { marker: 1 } });
    await arrived(got, 1);
    expect(got.filter((f) => f.type === 'relay')).toHaveLength(41);
    expect(a.frames.filter((f) => f.type === 'error')).toEqual([]);
    a.close();
    b.close();
  });

  it('drops relay bytes over the relay rate with rate-limited (ref relay), while other frames still pass', async () => {
    const { a, b, bId } = await pair(server);
    const got = record(b);
    const pad = 'x'.repeat(40_000);
    // The burst is one second's worth (100 KiB): the third 40 KB frame is over it.
    for (let i = 0; i < 3; i++) a.send({ type: 'relay', to: bId, payload: { i, pad } });
    expect(await a.next('error')).toEqual({ type: 'error', code: 'rate-limited', ref: 'relay', message: 'more than 102400 relay bytes/s; frame dropped' });
    // The frame budget is untouched: a bye and a small relay (the byte bucket refills) arrive.
    a.send({ type: 'bye', to: bId, payload: { reason: 'after' } });
    expect(await b.next('bye')).toMatchObject({ payload: { reason: 'after' } });
    const relayed = got.filter((f) => f.type === 'relay').map((f) => (f.payload as { i: number }).i);
    expect(relayed).toEqual([0, 1]);
    a.close();
    b.close();
  });
});
