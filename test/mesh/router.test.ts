import { describe, expect, it, vi } from 'vitest';
import type { MeshMessage } from '../../protocol/index.ts';
import { makeMessage } from '../../web/mesh/calls/message-factory.ts';
import { createMessageRouter } from '../../web/mesh/routing/message-router.ts';
import { createPendingRequests } from '../../web/mesh/calls/pending-requests.ts';
import { clockOf } from '../../web/mesh/platform.ts';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { echoHost } from './harness.ts';

/** A router wired to an in-memory outbox (pure logic: no transport). */
function setup() {
  const clock = clockOf(createNodePlatform());
  const out: MeshMessage[] = [];
  const send = async (_peer: string, msg: MeshMessage) => (out.push(msg), { tier: 'direct' as const, generation: 'g', bytes: 10 });
  const host = echoHost();
  const router = createMessageRouter({ localId: () => 'me', host, send, pending: createPendingRequests(send, clock), clock });
  const flush = () => new Promise((r) => setTimeout(r, 0));
  return { router, out, host, flush };
}

describe('message router', () => {
  it('answers a malformed message with an error naming the field and rule', async () => {
    const { router, out, flush } = setup();
    router.receive('them', { v: 1, id: 'req-1', type: 'task-request', from: 'them', to: 'me', payload: { skill: '' } });
    await flush();
    expect(out).toEqual([expect.objectContaining({ type: 'error', to: 'them', replyTo: 'req-1', payload: { code: 'bad-message', message: 'payload.skill: must not be empty' } })]);
  });

  it('refuses a message whose from is not the sending peer', async () => {
    const { router, out, flush } = setup();
    router.receive('them', makeMessage('mallory', 'me', 'ping', { sentAt: 1 }));
    await flush();
    expect(out[0]).toMatchObject({ type: 'error', payload: { code: 'bad-message', message: 'from: must be the sending peer "them"' } });
  });

  it('never answers an error with an error', async () => {
    const { router, out, flush } = setup();
    router.receive('them', { type: 'error', garbage: true });
    await flush();
    expect(out).toEqual([]);
  });

  it('runs a retried request once and replays its result', async () => {
    const { router, out, host } = setup();
    const req = makeMessage('them', 'me', 'task-request', { skill: 'echo', input: 42 });
    const results = () => out.filter((m) => m.type === 'task-result');
    router.receive('them', req);
    // A retry while it runs gets nothing (the final answers both); after it finished, a replay.
    router.receive('them', req);
    await vi.waitFor(() => expect(results().length).toBeGreaterThan(0));
    const before = results().length;
    router.receive('them', req);
    await vi.waitFor(() => expect(results()).toHaveLength(before + 1));
    expect(host.runs).toEqual(['echo']);
    expect(results().every((m) => m.replyTo === req.id && (m.payload as { output: unknown }).output === 42)).toBe(true);
  });

  it('aborts a running task on cancel and reports it', async () => {
    const { router, out } = setup();
    const req = makeMessage('them', 'me', 'task-request', { skill: 'hang', input: null });
    router.receive('them', req);
    await vi.waitFor(() => expect(router.running()).toBe(1));
    router.receive('them', makeMessage('them', 'me', 'cancel', { reason: 'changed my mind' }, req.id));
    await vi.waitFor(() => expect(router.running()).toBe(0));
    await vi.waitFor(() => expect(out.at(-1)).toMatchObject({ type: 'task-error', replyTo: req.id, payload: { code: 'cancelled', message: 'changed my mind' } }));
  });

  it('refuses a request whose cancel overtook it', async () => {
    const { router, out, host } = setup();
    const req = makeMessage('them', 'me', 'task-request', { skill: 'echo', input: 1 });
    router.receive('them', makeMessage('them', 'me', 'cancel', {}, req.id));
    router.receive('them', req);
    await vi.waitFor(() => expect(out.at(-1)).toMatchObject({ type: 'task-error', replyTo: req.id, payload: { code: 'cancelled' } }));
    expect(host.runs).toEqual([]);
  });

  it('serves what came while its server module loaded in arrival order, and loads it only for a request when it offers no agents', async () => {
    const clock = clockOf(createNodePlatform());
    const out: MeshMessage[] = [];
    const send = async (_peer: string, msg: MeshMessage) => (out.push(msg), { tier: 'direct' as const, generation: 'g', bytes: 10 });
    const runs: string[] = [];
    // Offers no agents at creation (nothing to preload); it runs whatever it is asked.
    const host = { agents: () => [], run: async (skill: string, input: unknown) => (runs.push(`${skill}:${String(input)}`), input), close: async () => undefined };
    const router = createMessageRouter({ localId: () => 'me', host, send, pending: createPendingRequests(send, clock), clock });
    const reqs = [1, 2, 3].map((n) => makeMessage('them', 'me', 'task-request', { skill: 'echo', input: n }));
    router.receive('them', makeMessage('them', 'me', 'cancel', {}, reqs[1]!.id));
    for (const r of reqs) router.receive('them', r);
    // Answered at once, without the server: a ping.
    router.receive('them', makeMessage('them', 'me', 'ping', { sentAt: 7 }));
    expect(router.running()).toBe(0);
    await vi.waitFor(() => expect(out.filter((m) => m.type !== 'pong')).toHaveLength(3));
    expect(out[0]).toMatchObject({ type: 'pong' });
    expect(runs).toEqual(['echo:1', 'echo:3']);
    expect(out.slice(1).map((m) => [m.type, m.replyTo])).toEqual([['task-result', reqs[0]!.id], ['task-error', reqs[1]!.id], ['task-result', reqs[2]!.id]]);
  });
});
