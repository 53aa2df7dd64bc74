import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signText, tokenProofText } from '../../protocol/index.ts';
import { api, getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { identityFor, idFor } from '../helpers/test-identity.ts';
import { joinWith, type TestSocket } from '../helpers/ws-client.ts';

/**
 * Object-level checks (issue 14): peer A, holding its own key and a valid credential of the same
 * mesh, acting on what belongs to peer B. Ownership is the token's subject, and the subject is
 * always the id of a key its holder proved, so A can neither act as B nor become B.
 */
const KEY = 'agent-key-for-ownership-tests-01';
const ENV = { TABMESH_API_KEYS: `agent:${KEY}`, LOG_LEVEL: 'error' };

let server: ServerProcess;
let tokenA: string;
let tokenB: string;
let socketB: TestSocket & { welcome: Record<string, unknown> };
const A = idFor('owner-test-a');
const B = idFor('owner-test-b');

beforeAll(async () => {
  server = await startServer({ env: ENV });
  [tokenA, tokenB] = await Promise.all([getToken(server.url, KEY, 'owner-test-a'), getToken(server.url, KEY, 'owner-test-b')]);
  socketB = await joinWith(server.wsUrl, tokenB);
  const reg = await api(server, 'POST', '/api/agents', { token: tokenB, body: { name: 'worker', platform: 'node', capabilities: [], skills: [{ name: 'job' }] } });
  expect(reg.status).toBe(201);
});
afterAll(async () => {
  socketB?.close();
  await server?.stop();
});

describe('peer A acting on peer B\'s objects', () => {
  it('cannot PATCH a task assigned to B (with a forged output or a failure)', async () => {
    const submitted = await api(server, 'POST', '/api/tasks', { token: tokenA, body: { skill: 'job', input: 'real input', requestId: 'own-1' } });
    expect(submitted.body.task).toMatchObject({ state: 'assigned', targetPeer: B });
    const id = submitted.body.task.id as string;
    await socketB.next('task-assigned');
    for (const body of [{ state: 'completed', output: 'forged by A' }, { state: 'failed', error: { code: 'x', message: 'forged' } }]) {
      const forged = await api(server, 'PATCH', `/api/tasks/${id}`, { token: tokenA, body });
      expect([forged.status, forged.body.error.code]).toEqual([403, 'not-assignee']);
    }
    expect((await api(server, 'GET', `/api/tasks/${id}`, { token: tokenA })).body.task).toMatchObject({ state: 'assigned' });
    const real = await api(server, 'PATCH', `/api/tasks/${id}`, { token: tokenB, body: { state: 'completed', output: 'by B' } });
    expect(real.body.task).toMatchObject({ state: 'completed', output: 'by B' });
  });

  it('cannot DELETE B\'s agent, nor replace it by registering the same name', async () => {
    const denied = await api(server, 'DELETE', `/api/agents/${B}:worker`, { token: tokenA });
    expect([denied.status, denied.body.error.code]).toEqual([403, 'forbidden']);
    const same = await api(server, 'POST', '/api/agents', { token: tokenA, body: { name: 'worker', platform: 'node', capabilities: [], skills: [{ name: 'other' }] } });
    // The name is only a display name: A's registration is A's own agent.
    expect(same.body.agent).toMatchObject({ id: `${A}:worker`, peerId: A });
    expect((await api(server, 'GET', `/api/agents/${B}:worker`, { token: tokenA })).body.agent).toMatchObject({ peerId: B, skills: [{ name: 'job' }] });
    expect((await api(server, 'DELETE', `/api/agents/${A}:worker`, { token: tokenA })).status).toBe(204);
  });

  it('cannot get a token for B\'s id: not by name, not with its own key, not with B\'s public key', async () => {
    const [a, b] = [await identityFor('owner-test-a'), await identityFor('owner-test-b')];
    const nonce = async () => (await api(server, 'POST', '/api/token/nonce', { headers: { 'x-api-key': KEY } })).body.nonce as string;
    const ask = async (body: unknown) => api(server, 'POST', '/api/token', { headers: { 'x-api-key': KEY }, body });
    const bare = await ask({ peerId: B });
    expect([bare.status, bare.body.error.code]).toEqual([400, 'identity-required']);
    const n1 = await nonce();
    const ownKey = await ask({ peerId: B, identity: { publicKey: a.publicIdentity, nonce: n1, signature: await signText(a, tokenProofText(n1, B)) } });
    expect([ownKey.status, ownKey.body.error.code]).toEqual([400, 'identity-mismatch']);
    const n2 = await nonce();
    const theirKey = await ask({ peerId: B, identity: { publicKey: b.publicIdentity, nonce: n2, signature: await signText(a, tokenProofText(n2, B)) } });
    expect([theirKey.status, theirKey.body.error.code]).toEqual([401, 'bad-signature']);
    // A proof B made once cannot be replayed: its nonce is spent.
    const n3 = await nonce();
    const proofByB = { peerId: B, identity: { publicKey: b.publicIdentity, nonce: n3, signature: await signText(b, tokenProofText(n3, B)) } };
    expect((await ask(proofByB)).status).toBe(200);
    expect((await ask(proofByB)).body.error.code).toBe('bad-nonce');
  });

  it('cannot take B\'s presence: A joins as itself and B stays connected', async () => {
    const socketA = await joinWith(server.wsUrl, tokenA);
    try {
      expect(socketA.welcome.peerId).toBe(A);
      expect((socketA.welcome.peers as Array<{ peerId: string }>).map((p) => p.peerId)).toContain(B);
      // A relay from A reaches B stamped with A's id; B's socket was not replaced (no 4409, no close).
      socketA.send({ type: 'relay', to: B, payload: { hello: 'B' } });
      expect(await socketB.next('relay')).toMatchObject({ from: A, payload: { hello: 'B' } });
      socketA.send({ type: 'relay', to: B, from: B, payload: { pretending: true } });
      expect(await socketA.next('error')).toMatchObject({ code: 'forged-from' });
      expect(socketB.ws.readyState).toBe(socketB.ws.OPEN);

      // B goes offline; A still cannot occupy B's id, so B comes back without a 4409.
      socketB.close();
      expect(await socketA.next('peer-left')).toEqual({ type: 'peer-left', peerId: B });
      const a = await identityFor('owner-test-a');
      const { nonce } = (await api(server, 'POST', '/api/token/nonce', { headers: { 'x-api-key': KEY } })).body as { nonce: string };
      const squat = await api(server, 'POST', '/api/token', {
        headers: { 'x-api-key': KEY }, body: { peerId: B, identity: { publicKey: a.publicIdentity, nonce, signature: await signText(a, tokenProofText(nonce, B)) } },
      });
      expect(squat.status).toBe(400);
      socketB = await joinWith(server.wsUrl, await getToken(server.url, KEY, 'owner-test-b'));
      expect(socketB.welcome.peerId).toBe(B);
      expect(await socketA.next('peer-joined')).toMatchObject({ peer: { peerId: B } });
    } finally {
      socketA.close();
    }
  });
});
