import { ProgressNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLocalApi } from '../../headless-node/local-api/client.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { startMcp, toolText as text, type McpSession } from './mcp-client.ts';

const AGENT_KEY = 'agent-key-for-mcp-via-node-001';
const EXAMPLE = new URL('../../examples/my-skills.js', import.meta.url).pathname;
const SLOW = new URL('./fixtures/slow-skills.js', import.meta.url).pathname;

let server: ServerProcess;
let alpha: NodePeer;
let front: NodePeer;
let mcp: McpSession;

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `agent:${AGENT_KEY}` } });
  [alpha, front] = await Promise.all([
    startNodePeer({ url: server.url, key: AGENT_KEY, name: 'alpha', args: ['--skills', 'echo', '--skills-module', EXAMPLE] }),
    startNodePeer({ url: server.url, key: AGENT_KEY, name: 'front', args: ['--skills', 'time'] }),
  ]);
  await front.waitForLine(new RegExp(`DataChannel to ${alpha.peerId} open`), 30_000);
  // No --url and no key: only the node on the data dir can serve this session.
  mcp = await startMcp(['--data-dir', front.dataDir, '--timeout', '3']);
}, 90_000);
afterAll(async () => {
  await mcp?.close();
  await Promise.all([alpha?.stop('SIGKILL'), front?.stop('SIGKILL')]);
  await server?.stop();
});

const toolNames = async (s: McpSession) => (await s.client.listTools()).tools.map((t) => t.name);

describe('tabmesh mcp --data-dir through a running node (official MCP client over stdio)', () => {
  it('lists the mesh skills, the node\'s own included, as tools with their schemas', async () => {
    expect(mcp.stderr()).toContain(`serving the mesh through the node on ${front.dataDir} (${front.peerId})`);
    const { tools } = await mcp.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(['countdown', 'echo', 'time', 'word-count']);
    const wordCount = tools.find((t) => t.name === 'word-count')!;
    expect(wordCount.inputSchema).toMatchObject({ type: 'object', required: ['text'] });
    expect(wordCount.description).toContain(`(offered by ${alpha.peerId}:alpha)`);
    expect(tools.find((t) => t.name === 'time')!.description).toContain(`(offered by ${front.peerId}:front)`);
  });

  it('runs tool calls over the node\'s link, with JSON output as structured content', async () => {
    const r = await mcp.client.callTool({ name: 'word-count', arguments: { text: 'one two three' } });
    expect(r.isError).toBeFalsy();
    expect(r.structuredContent).toEqual({ words: 3, characters: 13 });
    const echoed = await mcp.client.callTool({ name: 'echo', arguments: { via: 'node' } });
    expect(echoed.structuredContent).toEqual({ via: 'node' });
  });

  it('sends a streamed skill\'s chunks as progress notifications', async () => {
    const progress: Array<{ progress: number; message?: string }> = [];
    mcp.client.setNotificationHandler(ProgressNotificationSchema, (n) => {
      const { progressToken, ...rest } = n.params;
      if (progressToken === 'node-countdown') progress.push(rest);
    });
    const r = await mcp.client.callTool({ name: 'countdown', arguments: { from: 3 }, _meta: { progressToken: 'node-countdown' } });
    expect(text(r)).toBe('liftoff');
    expect(progress).toEqual([{ progress: 1, message: '3' }, { progress: 2, message: '2' }, { progress: 3, message: '1' }]);
  });

  it('answers an unknown tool with a protocol error and bad arguments with an isError result naming the field', async () => {
    await expect(mcp.client.callTool({ name: 'no-such-skill', arguments: {} })).rejects.toThrow(/unknown tool "no-such-skill"/);
    const bad = await mcp.client.callTool({ name: 'word-count', arguments: { text: 5 } });
    expect(bad.isError).toBe(true);
    expect(text(bad)).toMatch(/^\[bad-input\] .*input\.text/);
  });

  it('announces tools/list_changed when a local process registers skills on the node and when it leaves', async () => {
    const added = mcp.nextListChange();
    const helper = await connectLocalApi(front.dataDir);
    await helper.register('helper', [{ name: 'shout', inputSchema: { type: 'string' } }], (_skill, input) => String(input).toUpperCase());
    await added;
    expect(await toolNames(mcp)).toContain('shout');
    // A string input travels as the `input` argument (MCP arguments are an object).
    const shouted = await mcp.client.callTool({ name: 'shout', arguments: { input: 'hi' } });
    expect([shouted.isError, text(shouted)]).toEqual([undefined, 'HI']);
    const removed = mcp.nextListChange();
    helper.close();
    await removed;
    expect(await toolNames(mcp)).not.toContain('shout');
  });

  it('announces agents joining and leaving; calls to a slow or vanished agent fail, never hang', async () => {
    const joined = mcp.nextListChange();
    const slow = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'slow', args: ['--skills', 'time', '--skills-module', SLOW] });
    await joined;
    await expect.poll(() => toolNames(mcp), { timeout: 15_000 }).toContain('hold');

    const timedOut = await mcp.client.callTool({ name: 'hold', arguments: {} });
    expect(timedOut.isError).toBe(true);
    expect(text(timedOut)).toBe('[timeout] "hold" gave no answer within 3 s');

    // A second session with a long call timeout: load cannot turn the expected peer-left into a timeout.
    const patient = await startMcp(['--data-dir', front.dataDir, '--timeout', '60']);
    try {
      await expect.poll(() => toolNames(patient), { timeout: 15_000 }).toContain('hold');
      const pending = patient.client.callTool({ name: 'hold', arguments: { tag: 'via-node-left' } });
      await slow.waitForLine(/hold started: via-node-left/);
      const left = mcp.nextListChange();
      await slow.stop('SIGKILL');
      const gone = await pending;
      expect(gone.isError).toBe(true);
      expect(text(gone)).toMatch(new RegExp(`^\\[(peer-left|link-down)\\] .*${slow.peerId}`));
      await left;
      await expect.poll(() => toolNames(mcp), { timeout: 15_000 }).not.toContain('hold');
    } finally {
      await patient.close();
    }
  }, 120_000);

  it('survives a restart of the node: calls fail with a clear error while it is gone, then reach the new one', async () => {
    expect(await front.stop()).toBe(0);
    const gone = await mcp.client.callTool({ name: 'echo', arguments: { node: 'gone' } });
    expect(gone.isError).toBe(true);
    expect(text(gone)).toMatch(/^\[(no-node|closed)\] .*(no tabmesh node runs on|stopped answering)/);
    front = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'front', dataDir: front.dataDir, args: ['--skills', 'time'] });
    await front.waitForLine(new RegExp(`DataChannel to ${alpha.peerId} open`), 30_000);
    const back = await mcp.client.callTool({ name: 'echo', arguments: { node: 'back' } });
    expect(back.isError, text(back)).toBeFalsy();
    expect(back.structuredContent).toEqual({ node: 'back' });
  }, 90_000);

  it('keeps listing and calling over the node\'s open link while the signaling server is down', async () => {
    expect(await server.stop()).toBe(0);
    await front.waitForLine(/signaling lost/);
    const r = await mcp.client.callTool({ name: 'echo', arguments: { server: 'down' } });
    expect(r.isError, text(r)).toBeFalsy();
    expect(r.structuredContent).toEqual({ server: 'down' });
    expect(await toolNames(mcp)).toEqual(expect.arrayContaining(['echo', 'word-count', 'time']));
  }, 60_000);
});
