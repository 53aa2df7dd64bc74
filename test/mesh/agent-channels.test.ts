import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentInfo, PublicIdentity } from '../../protocol/index.ts';
import { generateIdentity } from '../../protocol/index.ts';
import type { AgentHost } from '../../web/mesh/agent-host.ts';
import { encodeFrames, encodeJson } from '../../web/mesh/channel/framing.ts';
import { createMemoryPinStore, type PinStore } from '../../web/mesh/link/link-identity.ts';
import type { Mesh } from '../../web/mesh/mesh.ts';
import { agentChannelsOf, inProcessAdopter, nextError, recordingPlatform, type InProcessAdopter, type RecordingPlatform } from './agent-channel-fixtures.ts';
import { echoHost, seesPeers, startPeer, useMeshServer, waitFor, type TestPeer } from './harness.ts';
import { idFor } from '../helpers/test-identity.ts';

const env = useMeshServer();

/** The agent a host serves on its own channel: a subset of echoHost's skills. */
const FAST: AgentInfo = { name: 'fast', platform: 'node', skills: ['echo', 'stream', 'hang', 'chat'].map((name) => ({ name })) };

interface Host extends TestPeer {
  adopter: InProcessAdopter;
  /** The AgentHost behind the agent channel (echoHost records its runs). */
  channelHost: ReturnType<typeof echoHost>;
}

async function startHost(id: string, opts: { platform?: RecordingPlatform; agents?: AgentInfo[]; channelHost?: AgentHost } = {}): Promise<Host> {
  const channelHost = echoHost('fast');
  const host = opts.channelHost ?? channelHost;
  const adopter = inProcessAdopter((opts.agents ?? [FAST]).map((info) => ({ info, host })));
  const peer = await startPeer(env.server, id, { agentChannels: adopter, autoConnect: false, ...(opts.platform ? { platform: opts.platform } : {}) });
  return { ...peer, adopter, channelHost };
}


/** Connects once `mesh` has heard of `peerId` from the server (a peer that joined after it). */
async function connect(mesh: Mesh, peerId: string): Promise<void> {
  await seesPeers(mesh, [peerId]);
  await mesh.connect(peerId);
}


describe('agent channels between Node peers', () => {
  let host: Host;
  let caller: TestPeer;
  let callerPlatform: RecordingPlatform;

  beforeAll(async () => {
    host = await startHost('hosty');
    callerPlatform = recordingPlatform();
    caller = await startPeer(env.server, 'caller', { autoConnect: false, platform: callerPlatform });
    await caller.mesh.connect(idFor('hosty'));
    await agentChannelsOf(caller.mesh, idFor('hosty'), ['fast']);
  });

  it('serves the agent\'s skills on its own channel and everything else on the main channel', async () => {
    expect(await caller.mesh.call(idFor('hosty'), 'echo', { hi: 1 })).toMatchObject({ output: { hi: 1 }, tier: 'direct', agentChannel: 'fast' });
    const chunks: unknown[] = [];
    const streamed = await caller.mesh.call(idFor('hosty'), 'stream', { n: 20 }, { stream: true, onChunk: (c) => chunks.push(c) });
    expect(streamed).toMatchObject({ output: { chunks: 20 }, agentChannel: 'fast' });
    expect(chunks).toEqual(Array.from({ length: 20 }, (_, i) => ({ i })));
    const pieces: string[] = [];
    expect(await caller.mesh.chat(idFor('hosty'), 'over the agent channel', { onChunk: (t) => pieces.push(t) })).toMatchObject({ text: 'over the agent channel', agentChannel: 'fast' });
    expect(pieces).toEqual(['over', ' the', ' agent', ' channel']);
    // `size` is not one of the channel's announced skills: the main channel and the main host.
    const size = await caller.mesh.call(idFor('hosty'), 'size', 'four');
    expect(size.output).toBe(4);
    expect(size.agentChannel).toBeUndefined();

    expect(host.channelHost.runs).toEqual(['echo', 'stream', 'chat']);
    expect(host.host.runs).toEqual(['size']);
    expect(host.adopter.runs()).toBe(3);
    // The caller hosts nothing, so the host's view of the link lists no agent channel of the caller's.
    expect(host.mesh.links().find((l) => l.peerId === idFor('caller'))?.agentChannels).toEqual([]);
  });

  it('sends a cancel over the channel that carried its request', async () => {
    const started = new Promise<AbortSignal>((resolve) => {
      const run = host.channelHost.run.bind(host.channelHost);
      host.channelHost.run = (skill, input, ctx) => (skill === 'hang' && resolve(ctx.signal), run(skill, input, ctx));
    });
    const ctl = new AbortController();
    const call = caller.mesh.call(idFor('hosty'), 'hang', null, { signal: ctl.signal });
    const signal = await started;
    const aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason), { once: true }));
    ctl.abort();
    await expect(call).rejects.toMatchObject({ code: 'cancelled' });
    expect(await aborted).toMatchObject({ code: 'cancelled' });
    expect(host.host.runs).not.toContain('hang');
  });

  it('answers bad input on an agent channel with error replies and keeps serving', async () => {
    const raw = callerPlatform.received.find((c) => c.label === 'tabmesh/agent/fast' && c.readyState === 'open')!;
    expect(raw).toBeDefined();
    const frame = (bytes: Uint8Array) => [...encodeFrames(9_999_999, bytes)][0]!;

    const text = nextError(caller.mesh, 'bad-frame');
    raw.send('not a binary frame');
    expect((await text).peerId).toBe(idFor('hosty'));

    const header = nextError(caller.mesh, 'bad-frame');
    raw.send(new Uint8Array([7, 3, 0, 0]));
    expect((await header).message).toMatch(/header/);

    const json = nextError(caller.mesh, 'bad-message');
    raw.send(frame(new TextEncoder().encode('{ not json')));
    expect((await json).message).toMatch(/JSON/);

    const schema = nextError(caller.mesh, 'bad-message');
    raw.send(frame(encodeJson({ v: 1, id: 'x1', type: 'task-request', from: idFor('caller'), to: idFor('hosty'), payload: { skill: '' } })));
    expect((await schema).message).toMatch(/payload\.skill/);

    const spoofed = nextError(caller.mesh, 'bad-message');
    raw.send(frame(encodeJson({ v: 1, id: 'x2', type: 'task-request', from: 'someone-else', to: idFor('hosty'), payload: { skill: 'echo', input: 1 } })));
    expect((await spoofed).message).toContain(`from: must be the sending peer "${idFor('caller')}"`);

    const before = host.channelHost.runs.length;
    expect((await caller.mesh.call(idFor('hosty'), 'echo', 'still here')).output).toBe('still here');
    expect(host.channelHost.runs.length).toBe(before + 1);
  });

  it('sends a request again on the main channel when its agent channel closes under it', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const run = host.channelHost.run.bind(host.channelHost);
    // The agent behind the channel takes the call and never answers (its Worker died, say).
    host.channelHost.run = (skill, input, ctx) => (skill === 'echo' ? (started(), new Promise(() => undefined)) : run(skill, input, ctx));
    const mainRuns = host.host.runs.length;
    const call = caller.mesh.call(idFor('hosty'), 'echo', 'second try');
    await running;
    const gone = agentChannelsOf(caller.mesh, idFor('hosty'), []);
    for (const s of host.adopter.served) s.server.close();
    await gone;
    const result = await call;
    expect(result.output).toBe('second try');
    expect(result.agentChannel).toBeUndefined();
    expect(host.host.runs.slice(mainRuns)).toEqual(['echo']);
  });
});

describe('agent channels that must not be used', () => {
  let caller: TestPeer;
  let callerPlatform: RecordingPlatform;
  /** Pins held back per peer id until the test decides what the caller's pin store answers. */
  const gates = new Map<string, (pin: PublicIdentity | undefined) => void>();
  const queried = new Map<string, () => void>();
  /** Resolves with the function that answers the caller's pin lookup for `peerId`, once it asked. */
  const pinLookup = (peerId: string) => new Promise<(pin: PublicIdentity | undefined) => void>((resolve) => {
    queried.set(peerId, () => resolve(gates.get(peerId)!));
  });

  beforeAll(async () => {
    callerPlatform = recordingPlatform();
    const memory = createMemoryPinStore();
    const pins: PinStore = {
      get(peerId) {
        if (![idFor('held-ok'), idFor('held-bad')].includes(peerId)) return memory.get(peerId);
        return new Promise((resolve) => (gates.set(peerId, resolve), queried.get(peerId)?.()));
      },
      set: (peerId, identity) => memory.set(peerId, identity),
    };
    caller = await startPeer(env.server, 'wary', { autoConnect: false, platform: callerPlatform, pins });
  });
  afterAll(() => {
    for (const open of gates.values()) open(undefined);
  });

  it('closes and reports a channel with a label that names no agent', async () => {
    const rogue = await startHost('rogue', { platform: recordingPlatform({ 'tabmesh/agent/fast': 'surprise' }) });
    const refused = nextError(caller.mesh, 'agent-channel-refused');
    await connect(caller.mesh, idFor('rogue'));
    const e = await refused;
    expect(e).toMatchObject({ peerId: idFor('rogue') });
    expect(e.message).toMatch(/"surprise".*\(unknown-label\)/);
    expect((await caller.mesh.call(idFor('rogue'), 'echo', 1)).output).toBe(1);
    expect(rogue.host.runs).toEqual(['echo']);
    expect(rogue.adopter.runs()).toBe(0);
    expect(caller.mesh.links().find((l) => l.peerId === idFor('rogue'))?.agentChannels).toEqual([]);
  });

  it('closes and reports a channel whose announcement names another agent', async () => {
    const other: AgentInfo = { ...FAST, name: 'other' };
    const liar = await startHost('liar', { agents: [other], platform: recordingPlatform({ 'tabmesh/agent/other': 'tabmesh/agent/fast' }) });
    const refused = nextError(caller.mesh, 'agent-channel-refused');
    await connect(caller.mesh, idFor('liar'));
    expect((await refused).message).toMatch(/"tabmesh\/agent\/fast".*\(bad-announcement\).*exactly the agent "fast"/);
    expect((await caller.mesh.call(idFor('liar'), 'echo', 2)).output).toBe(2);
    expect(liar.adopter.runs()).toBe(0);
  });

  it('holds a channel until the link is verified, then uses it', async () => {
    const held = await startHost('held-ok');
    const announced = callerPlatform.nextChannel('tabmesh/agent/fast');
    const lookup = pinLookup(idFor('held-ok'));
    void connect(caller.mesh, idFor('held-ok')).catch(() => undefined);
    // The host verified us and opened its agent channel; our verdict on it waits for the pin.
    const [answerPin] = await Promise.all([lookup, announced]);
    expect(caller.mesh.links().find((l) => l.peerId === idFor('held-ok'))).toMatchObject({ state: 'connecting', agentChannels: [] });
    const ready = agentChannelsOf(caller.mesh, idFor('held-ok'), ['fast']);
    answerPin(undefined);
    await ready;
    expect((await caller.mesh.call(idFor('held-ok'), 'echo', 3)).output).toBe(3);
    expect(held.channelHost.runs).toEqual(['echo']);
  });

  it('closes and reports a channel from a peer that then fails its identity check', async () => {
    const held = await startHost('held-bad');
    const refusedPeer = waitFor(caller.mesh, 'identity', (e) => e.peerId === idFor('held-bad') && e.status === 'refused');
    const refusedChannel = nextError(caller.mesh, 'agent-channel-refused');
    const announced = callerPlatform.nextChannel('tabmesh/agent/fast');
    const lookup = pinLookup(idFor('held-bad'));
    void connect(caller.mesh, idFor('held-bad')).catch(() => undefined);
    const [answerPin] = await Promise.all([lookup, announced]);
    answerPin((await generateIdentity()).identity.publicIdentity);
    await refusedPeer;
    const e = await refusedChannel;
    expect(e).toMatchObject({ peerId: idFor('held-bad') });
    expect(e.message).toMatch(/\(unverified\)/);
    await expect(caller.mesh.call(idFor('held-bad'), 'echo', 4)).rejects.toMatchObject({ code: 'identity-failed' });
    expect(held.adopter.runs()).toBe(0);
    expect(held.host.runs).toEqual([]);
  });

  it('keeps every call on the main channel when the host cannot hand channels over', async () => {
    const plain = await startHost('no-transfer');
    plain.adopter.refuse = true;
    await connect(caller.mesh, idFor('no-transfer'));
    expect((await caller.mesh.call(idFor('no-transfer'), 'echo', 5)).output).toBe(5);
    expect(plain.host.runs).toEqual(['echo']);
    expect(plain.adopter.served).toEqual([]);
    expect(caller.mesh.links().find((l) => l.peerId === idFor('no-transfer'))?.agentChannels).toEqual([]);
  });
});
