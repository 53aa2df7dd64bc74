import { describe, expect, it } from 'vitest';
import { generateIdentity, signText, tokenProofText } from '../../protocol/index.ts';
import { REPORTS_BURST, REPORTS_PER_MINUTE } from '../../server/signaling/reported-failures.ts';
import { attachFakePeer } from '../helpers/fake-socket.ts';
import { AGENT_KEY, createTestApp, type TestApp } from '../helpers/in-process.ts';
import { keyedToken } from '../helpers/keyed-token.ts';
import { parsePrometheus, sampleValue } from './support/prometheus.ts';

const SERVER_SEEN = 'tabmesh_identity_failures_total';
const PEER_SAID = 'tabmesh_peer_reported_identity_failures_total';

const total = (t: TestApp, name: string) =>
  parsePrometheus(t.server.metrics.registry.render()).samples.filter((s) => s.name === name).reduce((sum, s) => sum + s.value, 0);
const inProcessFetch = (t: TestApp) => ((input: string, init?: RequestInit) => t.server.app.request(input, init)) as typeof fetch;
const failures = Array.from({ length: 64 }, (_, i) => ({ peer: `k${String(i).padStart(32, '0')}`, reason: 'fingerprint-mismatch' }));

describe('attack signals: what the server saw vs what peers say', () => {
  it('key-proof failures at POST /api/token count in tabmesh_identity_failures_total', async () => {
    const t = await createTestApp();
    const headers = { 'x-api-key': AGENT_KEY };
    const { identity } = await generateIdentity();
    const { identity: other } = await generateIdentity();
    const { nonce } = (await t.call('POST', '/api/token/nonce', { headers })).body;
    const forged = { peerId: identity.peerId, identity: { publicKey: identity.publicIdentity, nonce, signature: await signText(other, tokenProofText(nonce, identity.peerId)) } };
    expect((await t.call('POST', '/api/token', { headers, body: forged })).body.error.code).toBe('bad-signature');
    const samples = parsePrometheus(t.server.metrics.registry.render()).samples;
    expect(sampleValue(samples, SERVER_SEEN, { reason: 'bad-signature' })).toBe(1);
    expect(total(t, PEER_SAID)).toBe(0);
  });

  it(`link-report failures go to a separate series, at most ${REPORTS_BURST} per reporter at once and ${REPORTS_PER_MINUTE} a minute after`, async () => {
    const t = await createTestApp();
    const mallory = await keyedToken('http://in-process', AGENT_KEY, inProcessFetch(t));
    let peer = await attachFakePeer(t.server, mallory.token);
    // The probe: 10 frames of 64 invented failures raised the attack signal by 640.
    const report = () => peer.send({ type: 'link-report', payload: { links: [], identityFailures: failures } });
    for (let i = 0; i < 10; i++) report();
    expect(total(t, PEER_SAID)).toBe(REPORTS_BURST);
    expect(total(t, SERVER_SEEN)).toBe(0);
    // What the server checks itself does count there: a frame in another peer's name.
    peer.send({ type: 'heartbeat', from: 'k' + 'f'.repeat(32) });
    expect(sampleValue(parsePrometheus(t.server.metrics.registry.render()).samples, SERVER_SEEN, { reason: 'forged-from' })).toBe(1);
    // Reconnecting with the same id does not refill the budget.
    peer.conn.closed();
    peer = await attachFakePeer(t.server, mallory.token);
    report();
    expect(total(t, PEER_SAID)).toBe(REPORTS_BURST);
    t.clock.advance(60_000 / REPORTS_PER_MINUTE);
    report();
    expect(total(t, PEER_SAID)).toBe(REPORTS_BURST + 1);
    // Another reporter has its own budget: a rise across reporters still shows.
    const honest = await keyedToken('http://in-process', AGENT_KEY, inProcessFetch(t));
    const other = await attachFakePeer(t.server, honest.token);
    other.send({ type: 'link-report', payload: { links: [], identityFailures: failures.slice(0, 2) } });
    expect(total(t, PEER_SAID)).toBe(REPORTS_BURST + 3);
  });
});
