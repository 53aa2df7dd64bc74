import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLocalApi } from '../../headless-node/local-api/client.ts';
import { getToken, startServer, type ServerProcess } from '../helpers/server-process.ts';
import { waitFor } from '../helpers/wait-for.ts';
import { runCli, startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { cmdline, descendants, socketsAboveStderr } from './proc-fds.ts';

const AGENT_KEY = 'agent-key-for-mcp-mount-tests-1';
const BIN = new URL('../../bin/tabmesh.js', import.meta.url).pathname;
const MARKER = join(mkdtempSync(join(tmpdir(), 'tabmesh-mcp-marker-')), 'run');
// The reference MCP test server, run with this Node (no npx: the network is closed).
const EVERYTHING = new URL('../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url).pathname;

let server: ServerProcess;
let tools: NodePeer;
const call = (...args: string[]) => runCli(['call', '--url', server.url, '--key', AGENT_KEY, '--bind-address', '127.0.0.1', ...args]);
const agentSkills = async (): Promise<string[]> => {
  const r = await runCli(['peers', '--url', server.url, '--key', AGENT_KEY, '--json']);
  const { peers } = JSON.parse(r.stdout) as { peers: Array<{ peerId: string; agents: Array<{ skills: string[] }> }> };
  return peers.find((p) => p.peerId === tools.peerId)?.agents[0]?.skills ?? [];
};
/** The MCP server process (the launcher's child), found among the node's descendants. */
const everythingPids = () => descendants(tools.proc.pid!).filter((pid) => cmdline(pid).includes('server-everything') && !cmdline(pid).includes('clean-exec'));

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `agent:${AGENT_KEY}` } });
  // Started through sh so a test can keep it from coming back: it only runs while MARKER exists.
  writeFileSync(MARKER, '');
  const command = `sh -c '[ -f "$0" ] && exec "$1" "$2"' ${MARKER} ${process.execPath} ${EVERYTHING}`;
  tools = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'tools', args: ['--skills', 'time', '--mcp-server', command] });
  await tools.waitForLine(/MCP server ".*server-everything.*" up/);
  await waitFor(async () => (await agentSkills()).includes('get-sum'), 15_000, 'MCP tools registered as skills');
}, 60_000);
afterAll(async () => {
  await tools?.stop();
  await server?.stop();
});

describe('tabmesh node --mcp-server with @modelcontextprotocol/server-everything', () => {
  it('offers the server\'s tools as skills with their input schemas', async () => {
    const skills = await agentSkills();
    expect(skills).toEqual(expect.arrayContaining(['time', 'echo', 'get-sum', 'trigger-long-running-operation']));
    const res = await fetch(`${server.url}/api/agents/${encodeURIComponent(`${tools.peerId}:tools`)}`, { headers: { authorization: `Bearer ${await token()}` } });
    const { agent } = await res.json() as { agent: { skills: Array<{ name: string; inputSchema: { properties: Record<string, unknown>; required: string[] } }> } };
    const sum = agent.skills.find((s) => s.name === 'get-sum')!;
    expect(Object.keys(sum.inputSchema.properties)).toEqual(['a', 'b']);
    expect(sum.inputSchema.required).toEqual(['a', 'b']);
  });

  it('runs echo and get-sum for a peer and returns their results', async () => {
    const echo = await call('--skill', 'echo', '--input', '{"message":"hello tools"}', '--json');
    expect(echo.code, echo.stderr).toBe(0);
    expect(JSON.parse(echo.stdout)).toMatchObject({ result: 'Echo: hello tools', peer: tools.peerId });
    const sum = await call('--skill', 'get-sum', '--input', '{"a":2,"b":40}', '--json');
    expect(JSON.parse(sum.stdout).result).toBe('The sum of 2 and 40 is 42.');
  });

  it('streams the long-running tool\'s progress as chunks', async () => {
    const r = await call('--skill', 'trigger-long-running-operation', '--input', '{"duration":0.3,"steps":3}', '--stream', '--json');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { chunk?: unknown; result?: unknown });
    expect(lines.slice(0, -1)).toEqual([1, 2, 3].map((progress) => ({ chunk: { progress, total: 3 } })));
    expect(lines.at(-1)!.result).toBe('Long running operation completed. Duration: 0.3 seconds, Steps: 3.');
  });

  it('refuses input that breaks the tool schema, naming the field', async () => {
    const r = await call('--skill', 'get-sum', '--input', '{"a":"two","b":1}');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('[bad-input] get-sum: input.a: must be number (got string)');
  });

  it('restarts a crashed server with its skills offline meanwhile; the restarted one holds none of the node\'s sockets', async () => {
    // A second node dials this one on join: a DataChannel that stays open while the server restarts.
    const buddy = await startNodePeer({ url: server.url, key: AGENT_KEY, name: 'buddy', args: ['--skills', 'time'] });
    await tools.waitForLine(new RegExp(`DataChannel to ${buddy.peerId} open`));
    const [first] = everythingPids();
    expect(first).toBeDefined();
    // A local-API client following the node sees its skills change (what tabmesh mcp --data-dir relies on).
    const api = await connectLocalApi(tools.dataDir);
    let skillChanges = 0;
    const watching = await api.watch((e) => e.event === 'agents-changed' && skillChanges++);

    // A crash: the call in flight fails, the skills go offline, the server comes back (with a new process).
    const inFlight = startCall(['--skill', 'trigger-long-running-operation', '--input', '{"duration":30,"steps":300}', '--stream', '--json']);
    await inFlight.firstChunk;
    rmSync(MARKER);
    process.kill(first!, 'SIGKILL');
    const failed = await inFlight.done;
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/\[mcp-error\] trigger-long-running-operation: the MCP server failed/);
    await tools.waitForLine(/MCP server ".*" exited; its skills are offline/);
    // Down (each restart fails while the marker is gone): the registry no longer lists its tools.
    await waitFor(async () => !(await agentSkills()).includes('get-sum'), 15_000, 'the tools gone from the registry');
    expect(await agentSkills()).toEqual(['time']);
    await waitFor(async () => skillChanges > 0, 15_000, 'agents-changed on the node\'s watch');
    watching.stop();
    api.close();
    await tools.waitForLine(/MCP server ".*" failed to start/);
    writeFileSync(MARKER, '');
    await waitFor(async () => (await agentSkills()).includes('get-sum') ? everythingPids().find((p) => p !== first) : undefined, 30_000, 'the MCP server back with its skills');
    const [second] = everythingPids();
    expect(second).not.toBe(first);
    // The node holds UDP sockets for the link to buddy (still open), its MCP server none of them.
    expect(socketsAboveStderr(tools.proc.pid!).length).toBeGreaterThan(0);
    for (const pid of [second!, ...descendants(tools.proc.pid!)]) expect({ pid, cmd: cmdline(pid), sockets: socketsAboveStderr(pid) }).toMatchObject({ sockets: [] });
    const again = await call('--skill', 'get-sum', '--input', '{"a":1,"b":1}', '--json');
    expect(JSON.parse(again.stdout).result).toBe('The sum of 1 and 1 is 2.');
    await buddy.stop();
  }, 60_000);
});

/** A `tabmesh call` whose first streamed chunk can be awaited (the tool is running then). */
function startCall(args: string[]): { firstChunk: Promise<void>; done: Promise<{ code: number | null; stderr: string }> } {
  const proc = spawn(process.execPath, [BIN, 'call', '--url', server.url, '--key', AGENT_KEY, '--bind-address', '127.0.0.1', ...args], { env: { PATH: process.env.PATH ?? '', HOME: tmpdir() }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const firstChunk = new Promise<void>((resolve, reject) => {
    proc.stdout.setEncoding('utf8').on('data', (d: string) => d.includes('{"chunk"') && resolve());
    proc.once('exit', () => reject(new Error(`call ended before a chunk: ${stderr}`)));
  });
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => proc.once('exit', (code) => resolve({ code, stderr })));
  return { firstChunk, done };
}

async function token(): Promise<string> {
  return getToken(server.url, AGENT_KEY, 'mcp-mount-test');
}
