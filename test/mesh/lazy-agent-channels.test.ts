import { describe, expect, it, vi } from 'vitest';
import { announcement } from '../../web/mesh/channel/agent-channel-label.ts';
import { encodeFrames } from '../../web/mesh/channel/framing.ts';
import { createLazyAgentChannels } from '../../web/mesh/channel/lazy-agent-channels.ts';
import { encodeMessage } from '../../web/mesh/channel/message-codec.ts';
import { createEmitter } from '../../web/mesh/emitter.ts';
import type { PeerLinkEvents, PeerLinkState } from '../../web/mesh/link/peer-link-types.ts';
import { clockOf } from '../../web/mesh/platform.ts';

const HOST = `k${'a'.repeat(32)}`;
const ME = `k${'b'.repeat(32)}`;
const BASIC = { name: 'basic', skills: [{ name: 'echo' }], platform: 'browser' as const };

/** The parts of an RTCDataChannel the wire touches (a unit test of the holding logic, no WebRTC). */
function fakeChannel(label: string) {
  return {
    label, readyState: 'open' as RTCDataChannelState, binaryType: 'blob' as BinaryType, bufferedAmount: 0, bufferedAmountLowThreshold: 0,
    onmessage: null as ((ev: MessageEvent) => void) | null, onopen: null, onclose: null, onbufferedamountlow: null,
    closed: false,
    close() {
      this.closed = true;
      this.readyState = 'closed';
    },
    send() {},
    addEventListener() {},
    removeEventListener() {},
  };
}

/** A link whose events the test fires by hand. */
function fakeLink() {
  const events = createEmitter<PeerLinkEvents>();
  let state: PeerLinkState = 'connecting';
  return {
    on: events.on,
    get state() {
      return state;
    },
    tier: 'direct' as const,
    openChannel: () => undefined,
    set(s: PeerLinkState) {
      state = s;
      events.emit('state', { state: s });
    },
    channel: (c: unknown) => events.emit('channel', c as RTCDataChannel),
  };
}

function setUp() {
  const link = fakeLink();
  const refused: string[] = [];
  const agents = createLazyAgentChannels({
    link, peerId: HOST, localId: ME, clock: clockOf({ now: Date.now }), nextMsgId: () => 1,
    onMessage: () => undefined, onFrameError: () => undefined, onChange: () => undefined,
    onRefused: (e) => void refused.push(`${e.label}: ${e.reason}`),
  });
  return { link, agents, refused };
}

/** The host's announcement as the frames that arrive on its channel. */
const announcementFrames = () => [...encodeFrames(7, encodeMessage(announcement(HOST, ME, BASIC)))].map((f) => ({ data: f.slice().buffer }) as MessageEvent);

describe('agent channels loaded when the first peer is met', () => {
  it('keeps what the link did while the module loaded: a channel, its announcement and the link verified', async () => {
    const { link, agents, refused } = setUp();
    // All in the task that made it, before the module can be there.
    const ch = fakeChannel('tabmesh/agent/basic');
    link.channel(ch);
    for (const ev of announcementFrames()) ch.onmessage!(ev);
    link.set('open');
    expect(agents.ready).toEqual([]);
    await vi.waitFor(() => expect(agents.ready.length).toBeGreaterThan(0), { timeout: 5000 });
    expect(agents.ready).toEqual(['basic']);
    expect(refused).toEqual([]);
    agents.close();
    expect(ch.closed).toBe(true);
  });

  it('refuses a held channel when the link went down before it was verified', async () => {
    const { link, agents, refused } = setUp();
    const ch = fakeChannel('tabmesh/agent/basic');
    link.channel(ch);
    link.set('idle');
    await vi.waitFor(() => expect(refused.length).toBeGreaterThan(0), { timeout: 5000 });
    expect(refused).toEqual(['tabmesh/agent/basic: unverified']);
    expect(ch.closed).toBe(true);
    expect(agents.ready).toEqual([]);
  });
});
