import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageRequest } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { connectLocalApi } from '../headless-node/local-api/client.ts';
import { openMeshPeerAccess } from '../headless-node/mcp/mesh-peer-access.ts';
import { createNodePlatform } from '../headless-node/node-platform.ts';
import type { BenchContext, BenchResult } from './lib/bench-types.ts';
import { ROOT, startNodeChild } from './lib/child-process.ts';
import { summarize } from './lib/stats.ts';
import { startTabmeshNode } from './lib/tabmesh-cli.ts';

const KEY = 'bench-agent-key-0123456789';
const BIN = join(ROOT, 'bin/tabmesh.js');

/** Starts `tabmesh node` with the echo skill and resolves once it joined. */
async function startEchoNode(url: string): Promise<ChildProcess> {
  const proc = spawn(process.execPath, [BIN, 'node', '--url', url, '--key', KEY, '--name', 'echo', '--skills', 'echo', '--bind-address', '127.0.0.1', '--quiet', '--data-dir', mkdtempSync(join(tmpdir(), 'tm-bench-node-'))], {
    env: { PATH: process.env.PATH ?? '', HOME: tmpdir() }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => /joined mesh/.test(d) && resolve());
    proc.once('exit', (code) => reject(new Error(`tabmesh node exited with ${code}: ${err}`)));
  });
  return proc;
}

/**
 * The agent protocols' own cost, each next to the path it wraps, echo every time (one in flight):
 * - through a running node (the issue's baseline): a local-API client asks a second `tabmesh node`
 *   ("front") to call `echo`; the node routes it (GET /api/route) and calls over its DataChannel:
 *   `tabmesh call --data-dir` without the process start;
 * - MCP `tools/call` through `tabmesh mcp --data-dir` (that node's local API; official SDK client);
 * - direct mesh call: a peer in this process routes `echo` and calls the node over a DataChannel
 *   (what `tabmesh call` does once joined), and MCP through `tabmesh mcp --url` (its own peer);
 * - A2A `SendMessage` (official SDK client) → server task queue → pushed to the node → PATCHed back.
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? 40 : 300;
  const warmup = ctx.quick ? 5 : 30;
  const { child: server, match } = await startNodeChild({
    script: 'dist/server/main.node.js',
    env: { PORT: '0', HOST: '127.0.0.1', TABMESH_API_KEYS: `agent:${KEY}`, TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-bench-')), LOG_LEVEL: 'warn', TABMESH_RATE_LIMIT_PER_SEC: '100000' },
    readyPattern: /listening on https?:\/\/[^:]+:(\d+)/,
  });
  const url = `http://127.0.0.1:${match![1]}`;
  const node = await startEchoNode(url);
  const front = await startTabmeshNode({ url, key: KEY, name: 'front', skills: 'time', bindAddress: '127.0.0.1' });
  const local = await connectLocalApi(front.dataDir);
  const mcpNode = new Client({ name: 'tabmesh-bench', version: '1' });
  await mcpNode.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--data-dir', front.dataDir], env: { PATH: process.env.PATH ?? '', HOME: tmpdir() }, stderr: 'ignore' }));
  const direct = await openMeshPeerAccess({ url, secret: KEY, platform: createNodePlatform({ bindAddress: '127.0.0.1' }), p2p: true });
  const mcp = new Client({ name: 'tabmesh-bench', version: '1' });
  await mcp.connect(new StdioClientTransport({ command: process.execPath, args: [BIN, 'mcp', '--url', url, '--key', KEY, '--bind-address', '127.0.0.1'], env: { PATH: process.env.PATH ?? '', HOME: tmpdir() }, stderr: 'ignore' }));
  const fetchImpl: typeof fetch = (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${KEY}`);
    return fetch(input, { ...init, headers });
  };
  const a2a = await new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
    transports: [new JsonRpcTransportFactory({ fetchImpl })], cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
  })).createFromUrl(`${url}/`);
  try {
    // The MCP peer learns the skill list after its agents registered; wait for echo to be a tool.
    for (const client of [mcp, mcpNode]) {
      for (let i = 0; !(await client.listTools()).tools.some((t) => t.name === 'echo'); i++) {
        if (i > 100) throw new Error('tabmesh mcp never listed echo');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const toolCall = (client: Client, name: string) => async (i: number) => {
      const r = await client.callTool({ name: 'echo', arguments: { i } });
      if (r.isError || (r.structuredContent as { i: number }).i !== i) throw new Error(`${name}: ${JSON.stringify(r)}`);
    };
    const paths = {
      node: async (i: number) => {
        const r = await local.call('echo', { i }, { timeoutMs: 10_000 });
        if ((r.output as { i: number }).i !== i) throw new Error('node: wrong echo');
      },
      mcpNode: toolCall(mcpNode, 'mcp --data-dir'),
      direct: async (i: number) => {
        const r = await direct.call('echo', { i }, { timeoutMs: 10_000 });
        if ((r.output as { i: number }).i !== i) throw new Error('direct: wrong echo');
      },
      mcp: toolCall(mcp, 'mcp --url'),
      a2a: async (i: number) => {
        const r = await a2a.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: `b${i}-${Math.random()}`, role: 'ROLE_USER', parts: [{ data: { skill: 'echo', input: { i } } }] } }));
        const task = r as { status?: { state: number }; artifacts?: Array<{ parts: Array<{ content?: { value: unknown } }> }> };
        if ((task.artifacts?.[0]?.parts[0]?.content?.value as { i: number } | undefined)?.i !== i) throw new Error(`a2a: ${JSON.stringify(r)}`);
      },
    };
    const samples = Object.fromEntries(Object.keys(paths).map((k) => [k, [] as number[]])) as Record<keyof typeof paths, number[]>;
    for (let i = 0; i < warmup; i++) for (const p of Object.values(paths)) await p(i);
    // Interleaved, the order reversed every other round, so machine noise hits every path alike.
    for (let i = 0; i < n; i++) {
      const order = Object.entries(paths) as Array<[keyof typeof paths, (i: number) => Promise<void>]>;
      for (const [name, p] of i % 2 ? order.reverse() : order) {
        const t = performance.now();
        await p(i);
        samples[name].push(performance.now() - t);
      }
      if (i % 100 === 0) ctx.log(`${i}/${n}`);
    }
    const loadAtEnd = loadavg().map((l) => l.toFixed(2)).join(' ');
    const s = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, summarize(v)])) as Record<keyof typeof paths, ReturnType<typeof summarize>>;
    const ms = (v: number) => +v.toFixed(2);
    const row = (path: string, k: keyof typeof paths, base?: keyof typeof paths) => {
      const added = base === undefined ? undefined : s[k].p50 - s[base].p50;
      return {
        path, count: s[k].count, 'p50 ms': ms(s[k].p50), 'p99 ms': ms(s[k].p99),
        'added p50 ms': added === undefined ? '' : ms(added),
        target: added === undefined ? 'baseline' : `adds < 5 ms p50 over ${base}: ${added < 5 ? 'pass' : 'FAIL'}`,
      };
    };
    return {
      rows: [
        row('node: call through a running node (local API, routed)', 'node'),
        row('MCP tools/call via tabmesh mcp --data-dir (node path)', 'mcpNode', 'node'),
        row('A2A SendMessage (task queue, pushed to the node)', 'a2a', 'node'),
        row('direct: mesh call from an own peer (route + DataChannel)', 'direct'),
        row('MCP tools/call via tabmesh mcp --url (own peer)', 'mcp', 'direct'),
      ],
      notes: [
        'Echo with {i}, one request in flight, the five paths interleaved (order reversed every other round); server, echo node, front node and both tabmesh mcp are separate processes on loopback.',
        'node is the issue\'s baseline (`tabmesh call --data-dir` minus starting Node): a local-API client asks the front node, which routes echo (GET /api/route) and calls over its DataChannel. MCP --data-dir adds the stdio JSON-RPC hop, the SDKs and the local-API hop.',
        'direct and MCP --url each route with GET /api/route from a peer of their own, then call over a DataChannel.',
        'A2A runs through the server task queue (submit, push to the node, PATCH result), so its added time is the queue path plus the JSON-RPC layer; compare with `npm run bench tasks`.',
        `Load average at the end: ${loadAtEnd} (at the start: the machine block of the result file); the machine is shared, so p99 is noise under load.`,
      ],
      settings: [
        'server: `TABMESH_RATE_LIMIT_PER_SEC=100000` (default 100; the calls must not be throttled), on 127.0.0.1',
        'both `tabmesh node`, `tabmesh mcp --url` and the in-process peer bind 127.0.0.1 (`--bind-address`); the echo node runs with `--quiet`',
      ],
      details: samples,
    };
  } finally {
    await mcp.close().catch(() => undefined);
    await mcpNode.close().catch(() => undefined);
    local.close();
    await front.stop();
    await direct.close();
    node.kill('SIGTERM');
    await server.stop();
  }
}
