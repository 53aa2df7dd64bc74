import { describe, expect, it } from 'vitest';
import { isDirectHost, OFFERER_HOLD_MS, OffererCandidateHold } from '../../headless-node/offerer-candidate-hold.ts';

const HOST = 'candidate:1 1 UDP 2122317823 192.168.1.20 50000 typ host';
const MDNS = 'candidate:1 1 UDP 2122317823 1f2e3d4c-aaaa-bbbb-cccc-000011112222.local 50000 typ host';
const SRFLX = 'candidate:2 1 UDP 1686052607 203.0.113.7 50001 typ srflx raddr 192.168.1.20 rport 50000';
const RELAY = 'candidate:3 1 UDP 41885439 198.51.100.9 3478 typ relay raddr 203.0.113.7 rport 50001';

/** A hold with hand-driven timers: `run(ms)` fires the pending timers set for `ms`. */
function setup(ice = 'checking') {
  const emitted: string[] = [];
  const timers: Array<{ fn: () => void; ms: number; live: boolean }> = [];
  const state = { ice };
  const hold = new OffererCandidateHold({
    emit: (e) => emitted.push(e.type + ':' + (e as Event & { n: number }).n),
    iceState: () => state.ice,
    setTimer(fn, ms) {
      const t = { fn, ms, live: true };
      timers.push(t);
      return () => void (t.live = false);
    },
  });
  let n = 0;
  const local = () => Object.assign(new Event('icecandidate'), { n: n++ });
  const run = (ms: number) => {
    for (const t of timers.splice(0)) if (t.live && t.ms === ms) t.fn(); else if (t.live) timers.push(t);
  };
  return { hold, emitted, local, run, state, timers };
}

describe('an offerer\'s candidates past the answer (Node)', () => {
  it('tells host addresses from the rest', () => {
    expect(isDirectHost(HOST)).toBe(true);
    expect(isDirectHost('candidate:1 1 TCP 1518280447 10.0.0.5 9 typ host tcptype active')).toBe(true);
    expect(isDirectHost(MDNS)).toBe(false);
    expect(isDirectHost(SRFLX)).toBe(false);
    expect(isDirectHost(RELAY)).toBe(false);
  });

  it('an answerer never holds: its candidates pass once the offer is applied', () => {
    const s = setup();
    expect(s.hold.take(s.local())).toBe(true);
    s.hold.described('offer');
    expect(s.emitted).toEqual(['icecandidate:0']);
    expect(s.hold.take(s.local())).toBe(false);
  });

  it('host-only answer and ICE connected within the hold: the candidates are never sent', () => {
    const s = setup();
    expect(s.hold.take(s.local())).toBe(true);
    s.hold.described('answer');
    s.hold.remote(HOST);
    s.run(0);
    expect(s.emitted).toEqual([]);
    s.state.ice = 'connected';
    s.run(OFFERER_HOLD_MS);
    expect(s.emitted).toEqual([]);
    // Later ones gain nothing either.
    expect(s.hold.take(s.local())).toBe(true);
    expect(s.emitted).toEqual([]);
  });

  it('host-only answer but not connected when the hold ends: they go, and later ones pass', () => {
    const s = setup();
    s.hold.take(s.local());
    s.hold.take(s.local());
    s.hold.described('answer');
    s.hold.remote(HOST);
    s.run(0);
    s.run(OFFERER_HOLD_MS);
    expect(s.emitted).toEqual(['icecandidate:0', 'icecandidate:1']);
    expect(s.hold.take(s.local())).toBe(false);
  });

  it.each([['server-reflexive', SRFLX], ['relay', RELAY], ['mDNS host', MDNS]])('a %s candidate from the answerer releases them at once, before the core flushes', (_, candidate) => {
    const s = setup();
    s.hold.take(s.local());
    s.hold.described('answer');
    s.hold.remote(HOST);
    s.hold.remote(candidate);
    expect(s.emitted).toEqual(['icecandidate:0']);
    expect(s.timers.every((t) => !t.live)).toBe(true);
  });

  it('a non-host candidate trickling in after a host-only answer releases them too', () => {
    const s = setup();
    s.hold.take(s.local());
    s.hold.described('answer');
    s.hold.remote(HOST);
    s.run(0);
    s.hold.remote(SRFLX);
    expect(s.emitted).toEqual(['icecandidate:0']);
  });

  it('an answer without candidates (an older answerer) releases them on the next turn', () => {
    const s = setup();
    s.hold.take(s.local());
    s.hold.described('answer');
    expect(s.emitted).toEqual([]);
    s.run(0);
    expect(s.emitted).toEqual(['icecandidate:0']);
  });

  it('closing drops what is held and cancels the decision', () => {
    const s = setup();
    s.hold.take(s.local());
    s.hold.described('answer');
    s.hold.close();
    s.run(0);
    expect(s.emitted).toEqual([]);
  });
});
