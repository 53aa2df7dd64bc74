import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup } from 'node-datachannel';
import type { Page } from 'playwright-core';
import { inNetns, launchChromium } from '../../test/browser/helpers/chromium.ts';
import type { BenchContext, BenchResult, BenchRow } from '../lib/bench-types.ts';
import { ROOT } from '../lib/child-process.ts';
import { summarize } from '../lib/stats.ts';
import { ADMIN, newTab, startHubServer } from './hub-server.ts';
import { measureIdleConnect } from './idle-connect.ts';

/** Bare WebRTC in one page: two RTCPeerConnections, SDP and candidates handed over in memory. */
async function bareOpenTimes(page: Page, n: number): Promise<number[]> {
  return page.evaluate(async (count) => {
    const times: number[] = [];
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const a = new RTCPeerConnection();
      const b = new RTCPeerConnection();
      let aRemote!: () => void;
      let bRemote!: () => void;
      const aReady = new Promise<void>((r) => (aRemote = r));
      const bReady = new Promise<void>((r) => (bRemote = r));
      a.onicecandidate = (e) => void (e.candidate && bReady.then(() => b.addIceCandidate(e.candidate!)));
      b.onicecandidate = (e) => void (e.candidate && aReady.then(() => a.addIceCandidate(e.candidate!)));
      const dc = a.createDataChannel('bench');
      const open = new Promise((r) => (dc.onopen = r));
      await a.setLocalDescription();
      await b.setRemoteDescription(a.localDescription!);
      bRemote();
      await b.setLocalDescription();
      await a.setRemoteDescription(b.localDescription!);
      aRemote();
      await open;
      times.push(performance.now() - t0);
      a.close();
      b.close();
    }
    return times;
  }, n);
}

/** The hub's own measurement (RTCPeerConnection created → DataChannel open) of its link to `peerId`. */
async function openMsOf(page: Page, peerId: string): Promise<number> {
  const chip = page.locator(`li[data-peer="${peerId}"] [data-link-state="open"][data-open-ms]`);
  await chip.waitFor({ timeout: 20_000 });
  return Number(await chip.getAttribute('data-open-ms'));
}

function startNodePeer(url: string, bindAddress: string): Promise<{ peerId: string; stop(): void }> {
  const proc = spawn(process.execPath, [
    join(ROOT, 'bin/tabmesh.js'), 'node', '--url', url, '--key', ADMIN, '--name', 'bench-node', '--skills', 'echo',
    '--bind-address', bindAddress, '--data-dir', mkdtempSync(join(tmpdir(), 'tm-bench-node-')), '--quiet',
  ], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /joined mesh "[^"]+" as (\S+)/.exec(out);
      if (m) resolve({ peerId: m[1]!, stop: () => void proc.kill('SIGTERM') });
    });
    proc.once('exit', (code) => reject(new Error(`tabmesh node exited with ${code}`)));
  });
}

/** `failed`: attempts that got no DataChannel (not in the percentiles); null where not counted. */
const row = (name: string, values: number[], failed: number | null = null): BenchRow => {
  const s = summarize(values);
  return { case: name, samples: s.count, failed, p50_ms: s.p50, p99_ms: s.p99, max_ms: s.max };
};

/**
 * DataChannel open time through the real server's signaling, tab↔tab and tab↔Node, against bare
 * WebRTC in one page: between peers already started and idle (`mesh.connect()`), and as the hub
 * measures it when a new tab joins (which includes that tab's own start-up).
 */
export async function measureBrowser(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? 5 : 20;
  const server = await startHubServer();
  const { url } = server;
  const browser = await launchChromium();
  const bindAddress = inNetns ? '10.99.0.1' : '0.0.0.0';
  const node = await startNodePeer(url, bindAddress);
  try {
    const blank = await (await browser.newContext()).newPage();
    await blank.goto(`${url}/`);
    // The baseline is interleaved with the measured side (one bare pair per round of each phase),
    // so the machine's drift over the run cannot favour either.
    const bare: number[] = [];
    const bareSample = async () => void bare.push(...(await bareOpenTimes(blank, 1)));

    const idle = await measureIdleConnect({ browser, url, key: ADMIN, nodePeerId: node.peerId, bindAddress, n, log: ctx.log, eachRound: bareSample });

    const anchor = await newTab(browser, url);
    const offerer: number[] = [];
    const answerer: number[] = [];
    const toNode: number[] = [];
    for (let i = 0; i < n; i++) {
      ctx.log(`join → open tab↔tab and tab↔node ${i + 1}/${n}`);
      await bareSample();
      // The newcomer offers to every peer already there: the anchor tab and the Node peer.
      const tab = await newTab(browser, url);
      offerer.push(await openMsOf(tab.page, anchor.peerId));
      answerer.push(await openMsOf(anchor.page, tab.peerId));
      toNode.push(await openMsOf(tab.page, node.peerId));
      await tab.close();
    }
    const open = (s: { openMs: number }[]) => s.map((x) => x.openMs);
    const usable = (s: { connectMs: number }[]) => s.map((x) => x.connectMs);
    return {
      rows: [
        row('bare WebRTC, two RTCPeerConnections in one page (baseline)', bare),
        row('idle tab → idle tab, offering side: open', open(idle.tabTab), idle.failures.tabTab.length),
        row('idle tab → idle tab, answering side: open', idle.tabTabAnswerer),
        row('idle tab → idle tab: connect() → usable', usable(idle.tabTab)),
        row('idle tab → idle Node peer, offering side: open', open(idle.tabNode), idle.failures.tabNode.length),
        row('idle tab → idle Node peer: connect() → usable', usable(idle.tabNode)),
        row('idle Node peer → idle tab, offering side: open', open(idle.nodeTab), idle.failures.nodeTab.length),
        row('idle Node peer → idle tab, answering side (tab): open', idle.nodeTabAnswerer),
        row('idle Node peer → idle tab: connect() → usable', usable(idle.nodeTab)),
        row('join → open: new hub tab → hub tab, offering side (incl. its start-up)', offerer),
        row('join → open: new hub tab → hub tab, answering side', answerer),
        row('join → open: new hub tab → Node peer, offering side (incl. its start-up)', toNode),
      ],
      notes: [
        'open = RTCPeerConnection created → DataChannel open, as the mesh core measures it (RouteInfo.openMs). connect() → usable = mesh.connect(peer) called → resolved (DataChannel open, link proof verified), on the offerer.',
        'idle rows: both ends already joined and welcomed with autoConnect off (mesh core bundled into a bare page on the server origin, no hub UI; the Node offerer is a mesh in the benchmark process), fresh peer ids per sample; nothing else runs.',
        'failed = idle connect() attempts that got no DataChannel (the route fell back to the server relay); left out of the percentiles, reasons in details.idle.failures.',
        'join → open rows: a fresh hub tab (new browser context) offers on its welcome while its own page is still starting (agent workers, IndexedDB, control-plane requests); read from the hub\'s data-open-ms.',
        'Node peer = node-datachannel (`tabmesh node` process, or the in-process mesh for Node → tab). Signaling through the real server; the baseline hands SDP over in memory.',
        'Baseline interleaved: one bare pair at the start of every idle round and every join round (2 × samples).',
        `Network: ${inNetns ? 'private namespace, host candidates on a veth pair' : 'host (TABMESH_NETNS=off)'}; Chromium ${browser.version()}.`,
      ],
      settings: [
        'bare-page mesh peers (idle rows) and the in-process Node mesh: `autoConnect: false` (they connect only when the benchmark calls `connect()`), `linkReportMs: 600_000` (link reports effectively off)',
        '`tabmesh node` and hub tabs: defaults',
      ],
      details: { bare, idle, offerer, answerer, toNode },
    };
  } finally {
    node.stop();
    await browser.close();
    await server.stop();
    // node-datachannel keeps the process alive after the in-process Node mesh is gone.
    cleanup();
  }
}
