import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendMessageRequest } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } from '@a2a-js/sdk/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openMeshPeerAccess } from '../headless-node/mcp/mesh-peer-access.ts';
import { createNodePlatform } from '../headless-node/node-platform.ts';
import type { BenchContext, BenchResult } from './lib/bench-types.ts';
import { ROOT, startNodeChild } from './lib/child-process.ts';
import { summarize } from './lib/stats.ts';

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
 * - direct mesh call: a peer in this process routes `echo` (GET /api/route) and calls the node
 *   over a DataChannel — what `tabmesh call` does once joined;
 * - MCP `tools/call` through `tabmesh mcp` (official SDK client over stdio; its peer does the same);
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
    for (let i = 0; !(await mcp.listTools()).tools.some((t) => t.name === 'echo'); i++) {
      if (i > 100) throw new Error('tabmesh mcp never listed echo');
      await new Promise((r) => setTimeout(r, 100));
    }
    const paths = {
      direct: async (i: number) => {
        const r = await direct.call('echo', { i }, { timeoutMs: 10_000 });
        if ((r.output as { i: number }).i !== i) throw new Error('direct: wrong echo');
      },
      mcp: async (i: number) => {
        const r = await mcp.callTool({ name: 'echo', arguments: { i } });
        if (r.isError || (r.structuredContent as { i: number }).i !== i) throw new Error(`mcp: ${JSON.stringify(r)}`);
      },
      a2a: async (i: number) => {
        const r = await a2a.sendMessage(SendMessageRequest.fromJSON({ message: { messageId: `b${i}-${Math.random()}`, role: 'ROLE_USER', parts: [{ data: { skill: 'echo', input: { i } } }] } }));
        const task = r as { status?: { state: number }; artifacts?: Array<{ parts: Array<{ content?: { value: unknown } }> }> };
        if ((task.artifacts?.[0]?.parts[0]?.content?.value as { i: number } | undefined)?.i !== i) throw new Error(`a2a: ${JSON.stringify(r)}`);
      },
    };
    const samples: Record<keyof typeof paths, number[]> = { direct: [], mcp: [], a2a: [] };
    for (let i = 0; i < warmup; i++) for (const p of Object.values(paths)) await p(i);
    // Interleaved, so machine noise hits every path alike.
    for (let i = 0; i < n; i++) {
      for (const [name, p] of Object.entries(paths) as Array<[keyof typeof paths, (i: number) => Promise<void>]>) {
        const t = performance.now();
        await p(i);
        samples[name].push(performance.now() - t);
      }
      if (i % 100 === 0) ctx.log(`${i}/${n}`);
    }
    const s = { direct: summarize(samples.direct), mcp: summarize(samples.mcp), a2a: summarize(samples.a2a) };
    const ms = (v: number) => +v.toFixed(2);
    const added = (v: number) => ms(v - s.direct.p50);
    return {
      rows: [
        { path: 'direct mesh call (route + DataChannel), baseline', count: s.direct.count, 'p50 ms': ms(s.direct.p50), 'p99 ms': ms(s.direct.p99), 'added p50 ms': 0, target: '' },
        { path: 'MCP tools/call via tabmesh mcp (stdio)', count: s.mcp.count, 'p50 ms': ms(s.mcp.p50), 'p99 ms': ms(s.mcp.p99), 'added p50 ms': added(s.mcp.p50), target: `adds < 5 ms p50: ${s.mcp.p50 - s.direct.p50 < 5 ? 'pass' : 'FAIL'}` },
        { path: 'A2A SendMessage (task queue, pushed to the node)', count: s.a2a.count, 'p50 ms': ms(s.a2a.p50), 'p99 ms': ms(s.a2a.p99), 'added p50 ms': added(s.a2a.p50), target: `adds < 5 ms p50: ${s.a2a.p50 - s.direct.p50 < 5 ? 'pass' : 'FAIL'}` },
      ],
      notes: [
        'Echo with {i}, one request in flight, the three paths interleaved; server, echo node and tabmesh mcp are separate processes on loopback.',
        'The direct call and tabmesh mcp each route the skill with GET /api/route, then call over a DataChannel: the MCP row adds the stdio JSON-RPC hop and the SDKs.',
        'A2A runs through the server task queue (submit, push to the node, PATCH result), so its added time is the queue path plus the JSON-RPC layer; compare with `npm run bench tasks`.',
      ],
      details: samples,
    };
  } finally {
    await mcp.close().catch(() => undefined);
    await direct.close();
    node.kill('SIGTERM');
    await server.stop();
  }
}
