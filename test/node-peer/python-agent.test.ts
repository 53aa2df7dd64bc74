import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLocalApi, type LocalApiClient } from '../../headless-node/local-api/client.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { startNodePeer, type NodePeer } from './helpers/tabmesh-cli.ts';

const KEY = 'agent-key-for-python-agent-0001';
const AGENT = new URL('../../examples/python-agent/agent.py', import.meta.url).pathname;

let server: ServerProcess;
let front: NodePeer;
let back: NodePeer;
let remote: LocalApiClient;
let python: ChildProcess | undefined;

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `agent:${KEY}` } });
  [front, back] = await Promise.all([
    startNodePeer({ url: server.url, key: KEY, name: 'pi', args: ['--skills', 'echo'] }),
    startNodePeer({ url: server.url, key: KEY, name: 'laptop', args: ['--skills', 'echo,time'] }),
  ]);
  remote = await connectLocalApi(back.dataDir);
});
afterAll(async () => {
  python?.kill('SIGKILL');
  remote?.close();
  await Promise.all([front?.stop('SIGKILL'), back?.stop('SIGKILL')]);
  await server?.stop();
});

describe('examples/python-agent with the machine\'s python3', () => {
  it('registers skills a remote node calls (plain and streamed), calls a remote skill, and its skills go when it dies', async () => {
    python = spawn('python3', [AGENT, '--data-dir', front.dataDir, '--call', 'echo', '--peer', back.peerId, '--input', '{"text":"from python"}'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Array<Record<string, unknown>> = [];
    let stderr = '';
    python.stdout!.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)));
    python.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await waitFor(() => lines.length >= 2 || python!.exitCode !== null, 15_000, 'the agent to register and call');
    expect(lines, stderr).toEqual([
      { registered: 'py-agent', node: front.peerId, skills: ['reverse', 'word-stream'] },
      { called: 'echo', output: { text: 'from python' }, peerId: back.peerId, tier: expect.stringMatching(/^(direct|relayed|fallback)$/), ms: expect.any(Number) },
    ]);

    expect(await remote.call('reverse', 'tabmesh')).toMatchObject({ output: 'hsembat', peerId: front.peerId });
    const chunks: unknown[] = [];
    const streamed = await remote.call('word-stream', 'one two three', { peer: front.peerId, stream: true, onChunk: (c) => chunks.push(c) });
    expect(chunks).toEqual(['one ', 'two ', 'three']);
    expect(streamed.output).toBe(3);

    python.kill('SIGKILL');
    await waitFor(() => remote.call('reverse', 'x', { peer: front.peerId }).then(() => false, (err: { code?: string }) => err.code === 'unknown-skill'), 10_000, 'reverse to be dropped');
    await waitFor(async () => !(await remote.agents()).agents.some((a) => a.name === 'py-agent'), 10_000, 'the registry to drop py-agent');
  });
});
