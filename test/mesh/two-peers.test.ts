import { beforeAll, describe, expect, it } from 'vitest';
import { MeshError } from '../../web/mesh/errors.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { linksOpen, startPeer, useMeshServer, type TestPeer } from './harness.ts';
import { idFor } from '../helpers/test-identity.ts';

const env = useMeshServer();

describe('two Node peers over real DataChannels', () => {
  let a: TestPeer;
  let b: TestPeer;

  beforeAll(async () => {
    a = await startPeer(env.server, 'alpha');
    b = await startPeer(env.server, 'bravo');
    await Promise.all([linksOpen(a.mesh, [idFor('bravo')], 'direct'), linksOpen(b.mesh, [idFor('alpha')], 'direct')]);
  });

  it('opens one direct link both sides agree on', () => {
    const la = a.mesh.links().find((l) => l.peerId === idFor('bravo'))!;
    const lb = b.mesh.links().find((l) => l.peerId === idFor('alpha'))!;
    expect(la.state).toBe('open');
    expect(la.tier).toBe('direct');
    expect(la.sessionId).toBeDefined();
    expect(la.sessionId).toBe(lb.sessionId);
    console.log(`open time alpha->bravo ${la.openMs} ms, bravo->alpha ${lb.openMs} ms`);
  });

  it('calls a skill and reports tier and time', async () => {
    const r = await a.mesh.call(idFor('bravo'), 'echo', { hello: 'world' });
    expect(r).toMatchObject({ output: { hello: 'world' }, peerId: idFor('bravo'), tier: 'direct' });
    expect(r.ms).toBeGreaterThan(0);
  });

  it('pings both ways', async () => {
    const rtts: number[] = [];
    for (let i = 0; i < 20; i++) rtts.push((await a.mesh.ping(idFor('bravo'))).rttMs);
    rtts.sort((x, y) => x - y);
    console.log(`ping rtt p50 ${rtts[10]!.toFixed(3)} ms, max ${rtts[19]!.toFixed(3)} ms`);
    expect((await b.mesh.ping(idFor('alpha'))).tier).toBe('direct');
  });

  it('lists skills', async () => {
    const agents = await a.mesh.skills(idFor('bravo'));
    expect(agents[0]!.name).toBe('bravo-agent');
    expect(agents[0]!.skills.map((s) => s.name)).toContain('echo');
  });

  it('streams chunks in order', async () => {
    const got: unknown[] = [];
    const r = await a.mesh.call(idFor('bravo'), 'stream', { n: 50 }, { stream: true, onChunk: (c) => got.push(c) });
    expect(r.output).toEqual({ chunks: 50 });
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => ({ i })));
  });

  it('chats with the chat skill, streamed', async () => {
    const pieces: string[] = [];
    const r = await a.mesh.chat(idFor('bravo'), 'hello there mesh', { onChunk: (t) => pieces.push(t) });
    expect(r.text).toBe('hello there mesh');
    expect(pieces).toEqual(['hello', ' there', ' mesh']);
  });

  it('turns a skill failure into a MeshError with the remote code', async () => {
    const err = await a.mesh.call(idFor('bravo'), 'fail', null).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MeshError);
    expect(err).toMatchObject({ code: 'nope', remote: true, peerId: idFor('bravo') });
  });

  it('times out a hanging call and cancels it on the far side', async () => {
    const abortedBefore = b.host.aborted.length;
    const err = await a.mesh.call(idFor('bravo'), 'hang', null, { timeoutMs: 300 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout' });
    // The far side's skill sees its signal abort, not just the caller's timer. Which arrives first
    // is a race: the caller's cancel (`cancelled`) or bravo's own copy of the deadline (`timeout`).
    await waitFor(() => b.host.aborted.length > abortedBefore, 10_000, "bravo's hang skill to be aborted");
    expect(['hang:cancelled', 'hang:timeout']).toContain(b.host.aborted[abortedBefore]);
  });

  it('aborts a call through its AbortSignal', async () => {
    const ctl = new AbortController();
    const abortedBefore = b.host.aborted.length;
    const runsBefore = b.host.runs.length;
    const p = a.mesh.call(idFor('bravo'), 'hang', null, { signal: ctl.signal });
    // Aborted before bravo started it, the cancel would only refuse the request: wait for the run.
    await waitFor(() => b.host.runs.length > runsBefore, 10_000, 'bravo to start the hang skill');
    ctl.abort();
    await expect(p).rejects.toMatchObject({ code: 'cancelled' });
    // Only the caller's cancel message can stop this run (its deadline is a minute away).
    await waitFor(() => b.host.aborted.length > abortedBefore, 10_000, "bravo's hang skill to be cancelled");
    expect(b.host.aborted.slice(abortedBefore)).toEqual(['hang:cancelled']);
  });

  it('sends a 1 MiB message and gets it back intact', async () => {
    const big = 'x'.repeat(1024 * 1024 - 7) + 'the-end';
    const r = await a.mesh.call(idFor('bravo'), 'echo', big);
    expect(r.output).toBe(big);
  });

  it('fails fast for an unknown peer', async () => {
    await expect(a.mesh.call('nobody', 'echo', 1)).rejects.toMatchObject({ code: 'unknown-peer' });
  });
});
