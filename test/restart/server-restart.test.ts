import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createGate, type Gate } from '../browser/helpers/gate.ts';
import { api, getToken, startServer, type Runtime, type ServerProcess } from '../helpers/server-process.ts';
import { pairNodeByCode } from '../node-peer/helpers/pair-node.ts';
import { runCli, startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';

// The server killed with SIGKILL and started again on the same data dir, seen from the outside:
// a real server process (Node entry, then Deno entry), a `tabmesh node` paired by code, tasks in
// every state, a revoked device and a pairing request still waiting. Everything the server
// acknowledged before the kill must hold after it. On the in-memory store this test fails (run it
// with TABMESH_STORE=memory to see it fail); the embedded database in the data dir passes.
const ADMIN_KEY = 'admin-key-for-restart-tests-0001';
const AGENT_KEY = 'agent-key-for-restart-tests-0001';
// Short tokens, so the node's next token refresh happens within the test, against the new process.
const TOKEN_TTL_SECONDS = 20;
const ENV: Record<string, string> = {
  TABMESH_API_KEYS: `admin:${ADMIN_KEY},agent:${AGENT_KEY}`,
  TABMESH_TOKEN_TTL_SECONDS: String(TOKEN_TTL_SECONDS),
  ...(process.env.TABMESH_STORE ? { TABMESH_STORE: process.env.TABMESH_STORE } : {}),
};
const FIXTURES = new URL('./fixtures/', import.meta.url).pathname;

type Task = { id: string; requestId: string; state: string; agentId?: string; output?: unknown };
type Device = { id: string; name: string; revokedAt?: number };

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  await Promise.all(cleanups.map((c) => c().catch(() => undefined)));
});

/** Milliseconds since the epoch at which a JWT expires (its `exp` claim). */
const jwtExpiry = (jwt: string) => (JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString()) as { exp: number }).exp * 1000;
const until = (at: number) => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

describe.each<Runtime>(['node', 'deno'])('restart from the outside (%s entry, SIGKILL, same data dir)', (runtime) => {
  it('keeps devices, revocations, pairing requests and tasks; the node keeps working across its next token refresh', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), `tabmesh-restart-${runtime}-`));
    const runs = join(mkdtempSync(join(tmpdir(), 'tabmesh-restart-runs-')), 'runs.log');
    writeFileSync(runs, '');
    const gate: Gate = await createGate();
    cleanups.push(() => gate.close());
    let server: ServerProcess = await startServer({ runtime, dataDir, env: ENV, timeoutMs: 60_000 });
    cleanups.push(() => server.stop('SIGKILL'));
    const nodes: NodePeer[] = [];
    cleanups.push(() => Promise.all(nodes.map((n) => n.stop('SIGKILL'))));
    const adminToken = () => getToken(server.url, ADMIN_KEY, `restart-admin-${runtime}`);
    const admin = async (method: string, path: string, body?: unknown) => api(server, method, path, { token: await adminToken(), ...(body === undefined ? {} : { body }) });
    const task = async (id: string) => ((await admin('GET', `/api/tasks/${id}`)).body as { task: Task }).task;
    const tasksNamed = async (requestId: string) => ((await admin('GET', '/api/tasks?limit=1000')).body as { tasks: Task[] }).tasks.filter((t) => t.requestId === requestId);

    // A node paired by code; its agent also offers `held`, which waits at the gate.
    const nodeEnv = { TABMESH_TEST_GATE_URL: gate.url, TABMESH_TEST_RUNS_FILE: runs };
    const pi = await pairNodeByCode(server, adminToken, {
      name: 'restart-pi', dataDir: mkdtempSync(join(tmpdir(), 'tabmesh-restart-pi-')),
      args: ['--skills', 'echo', '--skills-module', join(FIXTURES, 'held-skill.js')], env: nodeEnv,
    });
    nodes.push(pi);

    // A pairing request left waiting for an admin.
    const { code } = (await admin('POST', '/api/pairing/codes', {})).body as { code: string };
    const waiting = (await api(server, 'POST', '/api/pairing/redeem', { body: { code, name: 'waiting-phone' } })).body as { requestId: string; secret: string };

    // A second device, approved, holding a JWT, then revoked.
    const { code: victimCode } = (await admin('POST', '/api/pairing/codes', {})).body as { code: string };
    const victim = (await api(server, 'POST', '/api/pairing/redeem', { body: { code: victimCode, name: 'revoked-laptop' } })).body as { requestId: string; secret: string };
    expect((await admin('POST', `/api/pairing/requests/${victim.requestId}/approve`, {})).status).toBe(200);
    const victimGrant = (await api(server, 'GET', `/api/pairing/requests/${victim.requestId}/status`, { headers: { 'x-pairing-secret': victim.secret } })).body as { deviceToken: string; deviceId: string };

    // Tasks: one finished, one assigned (running at the gate), one pending (no agent offers `later`).
    const submit = async (body: Record<string, unknown>) => ((await admin('POST', '/api/tasks', body)).body as { task: Task }).task;
    const finished = await submit({ skill: 'echo', input: 'done before the kill', requestId: 'finished-1', to: `${pi.peerId}:restart-pi` });
    await expect.poll(async () => (await task(finished.id)).state, { timeout: 20_000 }).toBe('completed');
    const held = await submit({ skill: 'held', input: { tag: 'held-1' }, requestId: 'held-1', to: `${pi.peerId}:restart-pi` });
    await gate.reached();
    expect((await task(held.id)).state).toBe('assigned');
    const pending = await submit({ skill: 'later', input: { tag: 'later-1' }, requestId: 'later-1' });
    expect(pending.state).toBe('pending');

    const victimJwt = await getToken(server.url, victimGrant.deviceToken, `revoked-laptop-${runtime}`);
    expect((await admin('DELETE', `/api/devices/${victimGrant.deviceId}`)).status).toBe(200);
    expect((await api(server, 'GET', '/api/whoami', { token: victimJwt })).status).toBe(403);
    const devicesBefore = ((await admin('GET', '/api/devices')).body as { devices: Device[] }).devices;
    expect(devicesBefore.map((d) => d.name).sort()).toEqual(['restart-pi', 'revoked-laptop']);

    // kill -9, then the same entry on the same data dir and port.
    const killedAt = Date.now();
    expect(await server.stop('SIGKILL')).toBe(null);
    server = await startServer({ runtime, dataDir, env: { ...ENV, PORT: String(server.port) }, timeoutMs: 60_000 });

    // The revoked device stays refused: its unexpired JWT and its device token.
    expect((await api(server, 'GET', '/api/whoami', { token: victimJwt })).status).toBe(403);
    // (Checked while the JWT was still valid, or the 403 above would prove nothing.)
    expect(Date.now()).toBeLessThan(jwtExpiry(victimJwt));
    const exchange = await api(server, 'POST', '/api/token', { headers: { 'x-api-key': victimGrant.deviceToken }, body: { peerId: 'revoked-laptop' } });
    expect([exchange.status, exchange.body?.error?.code]).toEqual([403, 'revoked']);

    // Every device is listed, as before (the revoked one with its revocation time).
    const devicesAfter = ((await admin('GET', '/api/devices')).body as { devices: Device[] }).devices;
    expect(devicesAfter).toEqual(devicesBefore);

    // Tasks: the finished one still listable with its output; the others once each, as they were.
    expect(await tasksNamed('finished-1')).toMatchObject([{ id: finished.id, state: 'completed', output: 'done before the kill' }]);
    expect(await tasksNamed('held-1')).toMatchObject([{ id: held.id, state: 'assigned', agentId: `${pi.peerId}:restart-pi` }]);
    expect(await tasksNamed('later-1')).toMatchObject([{ id: pending.id, state: 'pending' }]);
    // A retry of the pending submit is recognised, not queued twice.
    const retried = await admin('POST', '/api/tasks', { skill: 'later', input: { tag: 'later-1' }, requestId: 'later-1' });
    expect([retried.status, (retried.body as { task: Task }).task.id]).toEqual([200, pending.id]);

    // The pairing request left waiting can still be approved, and its device then signs in.
    const queue = ((await admin('GET', '/api/pairing/requests')).body as { requests: Array<{ id: string; status: string }> }).requests;
    expect(queue.find((r) => r.id === waiting.requestId)?.status).toBe('pending');
    expect((await admin('POST', `/api/pairing/requests/${waiting.requestId}/approve`, {})).status).toBe(200);
    const grant = (await api(server, 'GET', `/api/pairing/requests/${waiting.requestId}/status`, { headers: { 'x-pairing-secret': waiting.secret } })).body as { status: string; deviceToken: string };
    expect(grant.status).toBe('approved');
    expect(typeof (await getToken(server.url, grant.deviceToken, `waiting-phone-${runtime}`))).toBe('string');

    // The node: every token it held before the kill has expired by now, so it is still in the
    // mesh only if it exchanged its device token with the new process (a refusal exits 3).
    await until(killedAt + TOKEN_TTL_SECONDS * 1000 + 1000);
    expect(pi.proc.exitCode).toBe(null);
    const echoed = await runCli(['call', '--url', server.url, '--key', AGENT_KEY, '--skill', 'echo', '--to', pi.peerId, '--input', '"after the restart"', '--bind-address', '127.0.0.1'], { timeoutMs: 60_000 });
    expect(echoed.stdout, echoed.stderr).toBe('after the restart\n');

    // The task that was running finishes, once; the pending one runs once an agent offers it.
    gate.open('released');
    await expect.poll(async () => (await task(held.id)).state, { timeout: 30_000 }).toBe('completed');
    expect((await task(held.id)).output).toEqual({ tag: 'held-1', gate: 'released' });
    const late = await startNodePeer({
      url: server.url, key: AGENT_KEY, name: 'restart-late', env: nodeEnv,
      args: ['--skills', 'echo', '--skills-module', join(FIXTURES, 'later-skill.js')],
    });
    nodes.push(late);
    await expect.poll(async () => (await task(pending.id)).state, { timeout: 30_000 }).toBe('completed');
    expect(await tasksNamed('later-1')).toMatchObject([{ id: pending.id, state: 'completed', agentId: `${late.peerId}:restart-late`, output: { tag: 'later-1' } }]);
    expect(readFileSync(runs, 'utf8').trim().split('\n').sort()).toEqual(['finished held-1', 'ran later-1', 'started held-1']);
    expect(pi.stderr.filter((l) => l.startsWith('tabmesh node:'))).toEqual([]);
  }, 180_000);
});
