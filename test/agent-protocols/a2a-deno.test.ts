import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { a2aClient, artifactValue, asTask, message, TaskState } from './a2a-client.ts';

const AGENT_KEY = 'agent-key-for-a2a-deno-tests-1';
let server: ServerProcess;
let alpha: NodePeer;

beforeAll(async () => {
  server = await startServer({ runtime: 'deno', env: { TABMESH_API_KEYS: `agent:${AGENT_KEY}` }, timeoutMs: 60_000 });
  alpha = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'alpha', args: ['--skills', 'echo,chat'] });
}, 90_000);
afterAll(async () => {
  await alpha?.stop();
  await server?.stop();
});

describe('A2A on the Deno entry', () => {
  it('serves the card, SendMessage and the SSE stream the same way', async () => {
    const client = await a2aClient(server.url, AGENT_KEY);
    expect((await client.getAgentCard()).skills.map((s) => s.id)).toEqual(['chat', 'echo']);
    const task = asTask(await client.sendMessage(message([{ text: 'from deno' }])));
    expect(task.status?.state).toBe(TaskState.TASK_STATE_COMPLETED);
    expect(artifactValue(task)).toBe('You said: from deno');
    const states = [];
    for await (const e of client.sendMessageStream(message([{ data: { skill: 'echo', input: { n: 1 } } }]))) {
      if (e.payload?.$case === 'statusUpdate') states.push(e.payload.value.status?.state);
    }
    expect(states.at(-1)).toBe(TaskState.TASK_STATE_COMPLETED);
  });
});
