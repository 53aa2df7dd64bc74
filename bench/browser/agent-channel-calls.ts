import { performance } from 'node:perf_hooks';
import { cleanup } from 'node-datachannel';
import type { Page } from 'playwright-core';
import { createEmptyAgentHost } from '../../headless-node/cli/empty-agent-host.ts';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { inNetns, launchChromium } from '../../test/browser/helpers/chromium.ts';
import { withoutDataChannelTransfer } from '../../test/browser/helpers/no-transfer.ts';
import { createMesh, type Mesh } from '../../web/mesh/mesh.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';
import { generateIdentity } from '../../protocol/index.ts';
import type { BenchContext, BenchResult, BenchRow } from '../lib/bench-types.ts';
import { summarize } from '../lib/stats.ts';
import { ADMIN, newTab, startHubServer } from './hub-server.ts';

/** Resolves once `mesh` has an open link to `peerId` whose agent channels satisfy `ok`. */
function linkReady(mesh: Mesh, peerId: string, ok: (agents: string[]) => boolean): Promise<void> {
  const ready = () => {
    const l = mesh.links().find((x) => x.peerId === peerId && x.state === 'open' && x.tier !== 'fallback' && x.tier !== 'routed');
    return !!l && ok(l.agentChannels);
  };
  if (ready()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`no usable link to ${peerId}: ${JSON.stringify(mesh.links())}`))), 45_000);
    const off = mesh.on('link', () => void (ready() && (clearTimeout(timer), off(), resolve())));
  });
}

/** Keeps a page's main thread busy `busyMs` out of every `periodMs` (a heavy UI), until stopped. */
const busy = (page: Page, busyMs: number, periodMs: number) =>
  page.evaluate(([b, p]) => {
    (globalThis as { busyTimer?: unknown }).busyTimer = setInterval(() => {
      const end = performance.now() + b!;
      while (performance.now() < end);
    }, p);
  }, [busyMs, periodMs]);
const idle = (page: Page) => page.evaluate(() => clearInterval((globalThis as { busyTimer?: ReturnType<typeof setInterval> }).busyTimer));

/**
 * Round trips of `echo` calls from a Node peer to a tab's `basic` agent: one tab whose Worker
 * serves its own DataChannel, one whose transfer is refused (DataCloneError) and which is reached
 * over the main thread and the MessagePort bridge. Calls alternate between the two tabs, first with
 * idle pages, then with both main threads busy 40 ms of every 50 ms.
 */
export async function measureAgentChannels(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? 40 : 300;
  const server = await startHubServer();
  const browser = await launchChromium();
  let node: Mesh | undefined;
  try {
    const direct = await newTab(browser, server.url);
    const bridgeContext = await browser.newContext();
    await withoutDataChannelTransfer(bridgeContext);
    const bridged = await newTab(browser, server.url, bridgeContext);
    const { identity } = await generateIdentity();
    node = createMesh({
      url: server.url,
      platform: createNodePlatform({ bindAddress: inNetns ? '10.99.0.1' : '0.0.0.0' }),
      identity,
      getToken: apiKeyTokenSource({ url: server.url, key: ADMIN, fetch, identity }),
      host: createEmptyAgentHost(),
      linkReportMs: 600_000,
    });
    await node.start();
    await linkReady(node, direct.peerId, (a) => a.includes('basic'));
    await linkReady(node, bridged.peerId, (a) => a.length === 0);

    const mesh = node;
    const wrongWay: string[] = [];
    async function rtt(peerId: string, expect: string | undefined, i: number): Promise<number> {
      const t0 = performance.now();
      const r = await mesh.call(peerId, 'echo', { i });
      const ms = performance.now() - t0;
      if (r.agentChannel !== expect) wrongWay.push(`${peerId}: call ${i} went ${r.agentChannel ?? 'main'}`);
      return ms;
    }
    async function round(label: string): Promise<[number[], number[]]> {
      for (let i = 0; i < 10; i++) await Promise.all([rtt(direct.peerId, 'basic', -1), rtt(bridged.peerId, undefined, -1)]);
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < n; i++) {
        if (i % 100 === 0) ctx.log(`${label} ${i}/${n}`);
        a.push(await rtt(direct.peerId, 'basic', i));
        b.push(await rtt(bridged.peerId, undefined, i));
      }
      return [a, b];
    }

    const [idleDirect, idleBridge] = await round('idle pages');
    await Promise.all([busy(direct.page, 40, 50), busy(bridged.page, 40, 50)]);
    const [busyDirect, busyBridge] = await round('busy main threads');
    await Promise.all([idle(direct.page), idle(bridged.page)]);
    if (wrongWay.length) throw new Error(`calls took the wrong way: ${wrongWay.slice(0, 5).join('; ')}`);

    const row = (name: string, values: number[]): BenchRow => {
      const s = summarize(values);
      return { case: name, samples: s.count, p50_ms: s.p50, p99_ms: s.p99, max_ms: s.max };
    };
    return {
      rows: [
        row('idle page: Worker\'s own DataChannel (transferred)', idleDirect),
        row('idle page: main thread + MessagePort bridge (baseline)', idleBridge),
        row('busy main thread: Worker\'s own DataChannel', busyDirect),
        row('busy main thread: main thread + MessagePort bridge', busyBridge),
      ],
      notes: [
        'Round trip of mesh.call(tab, "echo", { i }) from an in-process Node peer (node-datachannel) to a hub tab\'s basic agent, over a direct DataChannel; calls alternate between the two tabs, one at a time.',
        'The bridge tab refuses the transfer with DataCloneError (an init script), as a browser without the feature does; its calls go DataChannel → main thread (mesh core) → comlink → Worker.',
        'busy = a timer in each page blocks its main thread 40 ms out of every 50 ms (a heavy UI); the Worker and the network threads are left alone. One call at a time falls into the free 10 ms windows once it has waited, so the blocking shows in p99/max, not p50; the busy loops also take CPU from everything else on 2 cores.',
        `Network: ${inNetns ? 'private namespace, host candidates on a veth pair' : 'host (TABMESH_NETNS=off)'}; Chromium ${browser.version()}.`,
      ],
      settings: ['in-process Node caller: `linkReportMs: 600_000` (link reports effectively off)', 'bridge tab: DataChannel transfer refused by an init script (the baseline); hub tabs otherwise default'],
      details: { idleDirect, idleBridge, busyDirect, busyBridge },
    };
  } finally {
    await node?.stop();
    await browser.close();
    await server.stop();
    // node-datachannel keeps the process alive after the in-process Node mesh is gone.
    cleanup();
  }
}
