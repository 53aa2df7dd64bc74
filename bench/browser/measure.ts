import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { inNetns, launchChromium } from '../../test/browser/helpers/chromium.ts';
import type { BenchContext, BenchResult, BenchRow } from '../lib/bench-types.ts';
import { ROOT, startNodeChild } from '../lib/child-process.ts';
import { summarize } from '../lib/stats.ts';

const ADMIN = 'bench-admin-key-0123456789';

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

/** A new browser context (new identity) signed in as admin; resolves with its page and peer id. */
async function newTab(browser: Browser, url: string): Promise<{ page: Page; peerId: string; close(): Promise<void> }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${url}/#admin=${ADMIN}`);
  const peerId = (await page.getByTestId('peer-id').textContent({ timeout: 20_000 }))!;
  return { page, peerId, close: () => context.close() };
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

const row = (name: string, values: number[]): BenchRow => {
  const s = summarize(values);
  return { case: name, samples: s.count, p50_ms: s.p50, p99_ms: s.p99, max_ms: s.max };
};

/**
 * DataChannel open time as the hub measures it (RTCPeerConnection created → DataChannel open,
 * through the real server's signaling), tab↔tab and tab↔Node, against bare WebRTC in one page.
 */
export async function measureBrowser(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? 5 : 20;
  const { child: server, match } = await startNodeChild({
    script: 'dist/server/main.node.js',
    env: { PORT: '0', HOST: '127.0.0.1', TABMESH_API_KEYS: `admin:${ADMIN}`, TABMESH_DATA_DIR: mkdtempSync(join(tmpdir(), 'tm-bench-')), LOG_LEVEL: 'warn' },
    readyPattern: /listening on https?:\/\/[^:]+:(\d+)/,
  });
  const url = `http://127.0.0.1:${match![1]}`;
  const browser = await launchChromium();
  const node = await startNodePeer(url, inNetns ? '10.99.0.1' : '0.0.0.0');
  try {
    const blank = await (await browser.newContext()).newPage();
    await blank.goto(`${url}/`);
    ctx.log(`bare RTCPeerConnection pairs ×${n}`);
    const bare = await bareOpenTimes(blank, n);

    const anchor = await newTab(browser, url);
    const offerer: number[] = [];
    const answerer: number[] = [];
    const toNode: number[] = [];
    for (let i = 0; i < n; i++) {
      ctx.log(`tab↔tab and tab↔node ${i + 1}/${n}`);
      // The newcomer offers to every peer already there: the anchor tab and the Node peer.
      const tab = await newTab(browser, url);
      offerer.push(await openMsOf(tab.page, anchor.peerId));
      answerer.push(await openMsOf(anchor.page, tab.peerId));
      toNode.push(await openMsOf(tab.page, node.peerId));
      await tab.close();
    }
    return {
      rows: [
        row('bare WebRTC, two RTCPeerConnections in one page (baseline)', bare),
        row('tab → tab, offering side (newcomer)', offerer),
        row('tab → tab, answering side', answerer),
        row('tab → Node peer (node-datachannel), offering side', toNode),
      ],
      notes: [
        'Open time = RTCPeerConnection created → DataChannel open, as the mesh core measures it (RouteInfo.openMs), read from the hub.',
        'tabmesh rows include signaling through the real server (offer, answer, trickled candidates over WebSocket) and perfect negotiation; the baseline hands SDP over in memory.',
        `Network: ${inNetns ? 'private namespace, host candidates on a veth pair' : 'host (no namespace could be made)'}; Chromium ${browser.version()}; one new browser context per sample.`,
      ],
      details: { bare, offerer, answerer, toNode },
    };
  } finally {
    node.stop();
    await browser.close();
    await server.stop();
  }
}
