import { ProgressNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { runCli, startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { startMcp, toolText as text, type McpSession } from './mcp-client.ts';

const AGENT_KEY = 'agent-key-for-mcp-tests-00001';
const EXAMPLE = new URL('../../examples/my-skills.js', import.meta.url).pathname;
const SLOW = new URL('./fixtures/slow-skills.js', import.meta.url).pathname;

let server: ServerProcess;
let alpha: NodePeer;
let mcp: McpSession;

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `agent:${AGENT_KEY}` } });
  alpha = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'alpha', args: ['--skills', 'echo,time', '--skills-module', EXAMPLE] });
  mcp = await startMcp(['--url', server.url, '--key', AGENT_KEY, '--bind-address', '127.0.0.1', '--timeout', '3']);
}, 60_000);
afterAll(async () => {
  await mcp?.close();
  await alpha?.stop();
  await server?.stop();
});

describe('tabmesh mcp (official MCP client over stdio)', () => {
  it('lists the mesh skills as tools with their input schemas', async () => {
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['countdown', 'echo', 'time', 'word-count']);
    const wordCount = tools.find((t) => t.name === 'word-count')!;
    expect(wordCount.inputSchema).toEqual({ type: 'object', properties: { text: { type: 'string', maxLength: 1000000 } }, required: ['text'], additionalProperties: false });
    expect(wordCount.description).toContain(`Counts the words and characters in a text. (offered by ${alpha.peerId}:alpha)`);
    expect(tools.find((t) => t.name === 'echo')!.inputSchema).toEqual({ type: 'object' });
  });

  it('runs a tool call over the mesh and returns JSON output as structured content', async () => {
    const r = await mcp.client.callTool({ name: 'word-count', arguments: { text: 'one two three' } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ words: 3, characters: 13 });
    expect(JSON.parse(text(r))).toEqual({ words: 3, characters: 13 });
    const echoed = await mcp.client.callTool({ name: 'echo', arguments: { nested: { list: [1, 'two'] } } });
    expect(echoed.structuredContent).toEqual({ nested: { list: [1, 'two'] } });
  });

  it('sends a streamed skill\'s chunks as progress notifications when the client asks for progress', async () => {
    // Collected by our own handler: the SDK's `onprogress` drops a notification read in the same
    // chunk as the response (docs/development.md), which would make this test flaky, not wrong.
    const progress: Array<{ progress: number; message?: string }> = [];
    mcp.client.setNotificationHandler(ProgressNotificationSchema, (n) => {
      const { progressToken, ...rest } = n.params;
      if (progressToken === 'countdown-1') progress.push(rest);
    });
    const r = await mcp.client.callTool({ name: 'countdown', arguments: { from: 4 }, _meta: { progressToken: 'countdown-1' } });
    expect(text(r)).toBe('liftoff');
    expect(progress).toEqual([{ progress: 1, message: '4' }, { progress: 2, message: '3' }, { progress: 3, message: '2' }, { progress: 4, message: '1' }]);
  });

  it('answers an unknown tool with a protocol error and bad arguments with an isError result naming the field', async () => {
    await expect(mcp.client.callTool({ name: 'no-such-skill', arguments: {} })).rejects.toThrow(/unknown tool "no-such-skill"/);
    const bad = await mcp.client.callTool({ name: 'word-count', arguments: { text: 5 } });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/input\.text/);
  });

  it('announces tools/list_changed when an agent joins with new skills and when it leaves; calls to a vanished or slow agent fail, never hang', async () => {
    const joined = mcp.nextListChange();
    const slow = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'slow', args: ['--skills', 'time', '--skills-module', SLOW] });
    await joined;
    expect((await mcp.client.listTools()).tools.map((t) => t.name)).toContain('hold');

    const timedOut = await mcp.client.callTool({ name: 'hold', arguments: {} });
    expect(timedOut.isError).toBe(true);
    expect(text(timedOut)).toBe('[timeout] "hold" gave no answer within 3 s');

    // The peer-left case runs on a second session with a long call timeout, so a loaded machine
    // cannot turn the expected peer-left into a timeout.
    const patient = await startMcp(['--url', server.url, '--key', AGENT_KEY, '--bind-address', '127.0.0.1', '--timeout', '60']);
    try {
      expect((await patient.client.listTools()).tools.map((t) => t.name)).toContain('hold');
      const pending = patient.client.callTool({ name: 'hold', arguments: { tag: 'mcp-left' } });
      await slow.waitForLine(/hold started: mcp-left/);
      const left = mcp.nextListChange();
      await slow.stop('SIGKILL');
      const gone = await pending;
      expect(gone.isError).toBe(true);
      expect(text(gone)).toBe(`[peer-left] peer "${slow.peerId}" left the mesh`);
      await left;
      expect((await mcp.client.listTools()).tools.map((t) => t.name)).not.toContain('hold');
    } finally {
      await patient.close();
    }
  }, 90_000);

  it('exits 3 with one line when the key is refused, and 2 when --data-dir holds no device token or (without --url) no node', async () => {
    const refused = await runCli(['mcp', '--url', server.url, '--key', 'wrong-key-000000001', '--bind-address', '127.0.0.1']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/^tabmesh mcp: the server refused the credential: .* \(check --key \/ --token\)\n$/);
    const empty = await runCli(['mcp', '--url', server.url, '--data-dir', '/nonexistent-dir-for-mcp-test']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain(`--data-dir: no device token for ${server.url} in /nonexistent-dir-for-mcp-test/credential.json`);
    const noNode = await runCli(['mcp', '--data-dir', '/nonexistent-dir-for-mcp-test']);
    expect([noNode.code, noNode.stderr.split('\n')[0]]).toEqual([2, 'tabmesh mcp: no tabmesh node runs on /nonexistent-dir-for-mcp-test (nothing answers on its node.sock): start one there, or give --url to join with the device token saved in it']);
  });
});
