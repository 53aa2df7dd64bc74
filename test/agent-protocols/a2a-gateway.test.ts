import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { generateIdentity } from '../../protocol/index.ts';
import { createNodeTokenSource } from '../../headless-node/session/token-source.ts';
import { a2aClient, artifactValue, asTask, message, statusText, TaskState } from './a2a-client.ts';

const AGENT_KEY = 'agent-key-for-a2a-tests-0001';
const ADMIN_KEY = 'admin-key-for-a2a-tests-0001';
const EXAMPLE = new URL('../../examples/my-skills.js', import.meta.url).pathname;
const SLOW = new URL('./fixtures/slow-skills.js', import.meta.url).pathname;

let server: ServerProcess;
let alpha: NodePeer;
let slowpoke: NodePeer;

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `admin:${ADMIN_KEY},agent:${AGENT_KEY}` } });
  [alpha, slowpoke] = await Promise.all([
    startNodePeer({ url: server.url, key: AGENT_KEY, name: 'alpha', args: ['--skills', 'echo,chat', '--skills-module', EXAMPLE] }),
    startNodePeer({ url: server.url, key: AGENT_KEY, name: 'slowpoke', args: ['--skills', 'time', '--skills-module', SLOW] }),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([alpha?.stop(), slowpoke?.stop()]);
  await server?.stop();
});

const rpc = async (body: unknown, auth = `Bearer ${AGENT_KEY}`) => {
  const res = await fetch(`${server.url}/a2a`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as { result?: unknown; error?: { code: number; message: string } } };
};

describe('A2A agent card', () => {
  it('is public without skills, lists the mesh skills for a member, and names the JSON-RPC interface and a bearer scheme', async () => {
    const pub = await (await fetch(`${server.url}/.well-known/agent-card.json`)).json() as Record<string, unknown>;
    expect(pub.supportedInterfaces).toEqual([{ url: `${server.url}/a2a`, protocolBinding: 'JSONRPC', protocolVersion: '1.0' }]);
    expect(pub.securitySchemes).toEqual({ bearer: { httpAuthSecurityScheme: expect.objectContaining({ scheme: 'Bearer' }) } });
    expect(pub.skills).toEqual([]);
    const client = await a2aClient(server.url, AGENT_KEY);
    const card = await client.getAgentCard();
    expect(card.skills.map((s) => s.id)).toEqual(['chat', 'countdown', 'echo', 'hold', 'time', 'word-count']);
    expect(card.capabilities?.streaming).toBe(true);
    const wrong = await fetch(`${server.url}/.well-known/agent-card.json`, { headers: { authorization: 'Bearer not-a-key-at-all' } });
    expect(wrong.status).toBe(401);
  });

  it('refuses JSON-RPC without a credential or with a wrong one', async () => {
    const res = await fetch(`${server.url}/a2a`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'GetTask', params: { id: 'x' } }, 'Bearer not-a-key-at-all')).status).toBe(401);
  });

  it('takes a tabmesh JWT as the bearer too; the task records the token\'s peer as submitter', async () => {
    const { identity } = await generateIdentity();
    const jwt = await createNodeTokenSource({ url: server.url, secret: AGENT_KEY, identity }).getToken();
    const client = await a2aClient(server.url, jwt);
    expect((await client.getAgentCard()).skills.length).toBeGreaterThan(0);
    const task = asTask(await client.sendMessage(message([{ data: { skill: 'echo', input: 'jwt' } }])));
    expect(artifactValue(task)).toBe('jwt');
    const res = await fetch(`${server.url}/api/tasks/${task.id}`, { headers: { authorization: `Bearer ${jwt}` } });
    expect(((await res.json()) as { task: { submitter: string } }).task.submitter).toBe(identity.peerId);
  });

  it('gives each registered agent its own card whose interface runs skills on that agent only', async () => {
    const id = `${alpha.peerId}:alpha`;
    const client = await a2aClient(`${server.url}/a2a/agents/${encodeURIComponent(id)}/`, AGENT_KEY);
    const card = await client.getAgentCard();
    expect(card.name).toBe('alpha');
    expect(card.skills.map((s) => s.id).sort()).toEqual(['chat', 'countdown', 'echo', 'word-count']);
    const task = asTask(await client.sendMessage(message([{ data: { skill: 'echo', input: { via: 'agent card' } } }])));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactValue(task)).toEqual({ via: 'agent card' });
    expect(task.metadata).toMatchObject({ agent: id });
    const elsewhere = asTask(await client.sendMessage(message([{ data: { skill: 'hold', input: {} } }])));
    expect(elsewhere.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(statusText(elsewhere)).toContain('no-agent');
  });
});

describe('A2A JSON-RPC through the official client', () => {
  it('sends a text message to the chat skill and returns the answer as an artifact', async () => {
    const client = await a2aClient(server.url, AGENT_KEY);
    const task = asTask(await client.sendMessage(message([{ text: 'hello mesh' }])));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactValue(task)).toBe('You said: hello mesh');
    expect(task.history[0]?.parts[0]?.content).toEqual({ $case: 'text', value: 'hello mesh' });
  });

  it('runs the skill a data part or the message metadata names, with its input', async () => {
    const client = await a2aClient(server.url, AGENT_KEY);
    const counted = asTask(await client.sendMessage(message([{ data: { skill: 'word-count', input: { text: 'one two three' } } }])));
    expect(artifactValue(counted)).toEqual({ words: 3, characters: 13 });
    const echoed = asTask(await client.sendMessage(message([{ text: 'ignored by echo' }], { skill: 'echo', input: { n: [1, 2] } })));
    expect(artifactValue(echoed)).toEqual({ n: [1, 2] });
    expect(echoed.metadata).toMatchObject({ skill: 'echo', agent: `${alpha.peerId}:alpha` });
  });

  it('streams the task, its output artifact and a final completed status', async () => {
    const client = await a2aClient(server.url, AGENT_KEY);
    const events = [];
    for await (const e of client.sendMessageStream(message([{ data: { skill: 'echo', input: 'streamed' } }]))) events.push(e);
    expect(events[0]?.payload?.$case).toBe('task');
    const artifact = events.find((e) => e.payload?.$case === 'artifactUpdate');
    expect(artifact?.payload?.$case === 'artifactUpdate' && artifact.payload.value.artifact?.parts[0]?.content).toEqual({ $case: 'text', value: 'streamed' });
    const last = events.at(-1)!;
    expect(last.payload?.$case === 'statusUpdate' && last.payload.value.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
  });

  it('streams events as they happen to a client that accepts compression (browsers always do): SSE is never buffered to be compressed', async () => {
    const res = await fetch(`${server.url}/a2a`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${AGENT_KEY}`, 'accept-encoding': 'gzip, deflate, br' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'SendStreamingMessage', params: { message: { messageId: 'sse-gzip', parts: [{ data: { skill: 'hold', input: { tag: 'sse-gzip' } } }] } } }),
      // The task holds until cancelled: a buffered stream sends nothing, not even its headers, before this.
      signal: AbortSignal.timeout(20_000),
    });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('content-encoding')).toBeNull();
    const reader = res.body!.getReader();
    const first = await reader.read();
    const text = new TextDecoder().decode(first.value);
    const id = /"id":"([0-9a-f-]{36})"/.exec(text)?.[1];
    expect(text, text).toMatch(/^data: /);
    expect(id).toBeDefined();
    expect((await rpc({ jsonrpc: '2.0', id: 2, method: 'CancelTask', params: { id } })).body.result).toBeDefined();
    await reader.cancel();
  }, 40_000);

  it('gets a finished task, and answers an unknown id with TaskNotFound', async () => {
    const client = await a2aClient(server.url, AGENT_KEY);
    const sent = asTask(await client.sendMessage(message([{ text: 'remember me' }])));
    const got = await client.getTask({ id: sent.id, tenant: '' });
    expect(got.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactValue(got)).toBe('You said: remember me');
    expect(got.contextId).toBe(sent.contextId);
    await expect(client.getTask({ id: 'no-such-task', tenant: '' })).rejects.toThrow(/no task "no-such-task"/);
  });

  it('cancels a running task: canceled for the caller, the agent\'s skill sees its signal abort, not cancelable a second time', async () => {
    const client = await a2aClient(server.url, AGENT_KEY, { polling: true });
    const running = asTask(await client.sendMessage(message([{ data: { skill: 'hold', input: { tag: 'a2a-cancel' } } }])));
    expect(running.status?.state).toBe(TaskState.TASK_STATE_WORKING);
    await slowpoke.waitForLine(/hold started: a2a-cancel/);
    const canceled = await client.cancelTask({ id: running.id, tenant: '', metadata: undefined });
    expect(canceled.status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    // The server pushed the end of the task to the agent: the running skill was interrupted.
    expect(await slowpoke.waitForLine(/hold aborted: a2a-cancel/)).toMatch(/^hold aborted: a2a-cancel \(canceled/);
    expect((await client.getTask({ id: running.id, tenant: '' })).status?.state).toBe(TaskState.TASK_STATE_CANCELED);
    await expect(client.cancelTask({ id: running.id, tenant: '', metadata: undefined })).rejects.toThrow(/already failed/);
  });
});

describe('A2A errors are protocol errors, never a hang', () => {
  it('an unknown skill fails the task with a message', async () => {
    const client = await a2aClient(server.url, AGENT_KEY);
    const task = asTask(await client.sendMessage(message([{ data: { skill: 'no-such-skill', input: {} } }])));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(statusText(task)).toBe('[no-agent] no active agent offers skill "no-such-skill"');
  });

  it('input that breaks the skill schema fails the task naming the field', async () => {
    const client = await a2aClient(server.url, AGENT_KEY);
    const task = asTask(await client.sendMessage(message([{ data: { skill: 'word-count', input: { text: 5 } } }])));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(statusText(task)).toMatch(/input\.text/);
  });

  it('a skill that does not answer in time fails with timeout', async () => {
    const client = await a2aClient(server.url, AGENT_KEY);
    const task = asTask(await client.sendMessage(message([{ data: { skill: 'hold', input: {} } }], { timeoutSeconds: 2 })));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(statusText(task)).toMatch(/^\[(timeout|expired)\]/);
  }, 20_000);

  it('an agent that leaves mid-call fails the task with peer-gone', async () => {
    const doomed = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'doomed', args: ['--skills', 'time', '--skills-module', SLOW] });
    const client = await a2aClient(server.url, AGENT_KEY);
    let last: unknown;
    for await (const e of client.sendMessageStream(message([{ data: { skill: 'hold', input: {} } }], { agent: `${doomed.peerId}:doomed` }))) {
      const state = e.payload?.$case === 'statusUpdate' ? e.payload.value.status?.state : e.payload?.$case === 'task' ? e.payload.value.status?.state : undefined;
      if (state === TaskState.TASK_STATE_WORKING) void doomed.stop('SIGKILL');
      last = e.payload?.$case === 'statusUpdate' ? e.payload.value.status : last;
    }
    const status = last as { state: number; message?: { parts: Array<{ content?: { value: unknown } }> } };
    expect(status.state).toBe(TaskState.TASK_STATE_FAILED);
    expect(status.message?.parts[0]?.content?.value).toMatch(/^\[peer-gone\] agent .*doomed left the mesh/);
  }, 30_000);

  it('answers bad JSON, unknown methods and bad params with JSON-RPC errors', async () => {
    expect((await rpc('{not json')).body.error?.code).toBe(-32700);
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'Dance' })).body.error?.code).toBe(-32601);
    expect((await rpc({ jsonrpc: '2.0', id: 1, method: 'ListTasks', params: {} })).body.error?.code).toBe(-32004);
    const bad = await rpc({ jsonrpc: '2.0', id: 2, method: 'SendMessage', params: { message: { messageId: 'x', parts: [] } } });
    expect(bad.body.error).toMatchObject({ code: -32602, message: 'params.message.parts: must have at least one part' });
    const nothing = await rpc({ jsonrpc: '2.0', id: 3, method: 'SendMessage', params: { message: { messageId: 'y', parts: [{ data: [1] }] } } });
    expect(nothing.body.error).toMatchObject({ code: -32602, message: expect.stringMatching(/name a skill/) });
  });
});
