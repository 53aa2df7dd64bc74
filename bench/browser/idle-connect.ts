import { performance } from 'node:perf_hooks';
import type { Browser } from 'playwright-core';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { createMesh, type Mesh } from '../../web/mesh/mesh.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';
import { generateIdentity } from '../../protocol/index.ts';
import { seesPeer } from '../mesh/bench-peer.ts';
import { bundleMeshCore, harness, openMeshPage, type ConnectFailure, type ConnectSample } from './mesh-page.ts';

/**
 * DataChannel open time between peers that are already started and idle: both ends joined with
 * `autoConnect: false` and welcomed, then the offerer calls `mesh.connect(peer)`. No page start-up
 * (workers, IndexedDB, token, hello) is inside the measured interval, unlike the join → open rows.
 */

export interface IdleSamples {
  /** Tab offers to tab: the offering side's samples, and the answering tab's `openMs`. */
  tabTab: ConnectSample[];
  tabTabAnswerer: number[];
  /** Tab offers to the running `tabmesh node` process. */
  tabNode: ConnectSample[];
  /** A Node mesh peer (node-datachannel, in the benchmark process) offers to a tab; the tab's `openMs`. */
  nodeTab: ConnectSample[];
  nodeTabAnswerer: number[];
  /** connect() calls that ended on the fallback tier (no DataChannel), per case, with the reason. */
  failures: { tabTab: string[]; tabNode: string[]; nodeTab: string[] };
}

/** A Node mesh peer in this process with a fresh key, not connecting to anyone until asked. */
async function startNodeMesh(url: string, key: string, bindAddress: string): Promise<Mesh> {
  const { identity } = await generateIdentity();
  const mesh = createMesh({
    url,
    platform: createNodePlatform({ bindAddress }),
    identity,
    getToken: apiKeyTokenSource({ url, key, fetch, identity }),
    host: { agents: () => [], run: () => Promise.reject(new Error('no skills here')), close: () => Promise.resolve() },
    autoConnect: false,
    linkReportMs: 600_000,
  });
  await mesh.start();
  return mesh;
}

async function nodeConnect(mesh: Mesh, remote: string): Promise<ConnectSample | ConnectFailure> {
  const t0 = performance.now();
  const info = await mesh.connect(remote, { timeoutMs: 20_000 });
  const connectMs = performance.now() - t0;
  if (info.tier === 'fallback') return { failed: `no DataChannel (${info.lastError ?? 'fallback tier'})` };
  return { connectMs, openMs: info.openMs ?? NaN, verifyMs: info.verifyMs ?? NaN };
}

/**
 * `n` rounds of the three idle cases, interleaved; every round uses fresh mesh peers (new ids) in
 * two long-lived pages, so each sample is a first connection between the two ids.
 */
export async function measureIdleConnect(o: {
  browser: Browser; url: string; key: string; nodePeerId: string; bindAddress: string; n: number; log(m: string): void;
  /** Runs at the start of every round: the caller's baseline sample, interleaved with these. */
  eachRound?: () => Promise<void>;
}): Promise<IdleSamples> {
  const bundle = await bundleMeshCore();
  const [pa, pb] = await Promise.all([0, 1].map(async () => openMeshPage(await o.browser.newContext(), o.url, bundle)));
  const a = harness(pa!);
  const b = harness(pb!);
  const out: IdleSamples = { tabTab: [], tabTabAnswerer: [], tabNode: [], nodeTab: [], nodeTabAnswerer: [], failures: { tabTab: [], tabNode: [], nodeTab: [] } };
  // A failed attempt is counted (and its reason kept), not retried into the samples.
  const keep = (c: 'tabTab' | 'tabNode' | 'nodeTab', r: ConnectSample | ConnectFailure): boolean => {
    if ('failed' in r) return (out.failures[c].push(r.failed), o.log(`${c}: ${r.failed}`), false);
    return (out[c].push(r), true);
  };
  for (let i = 0; i < o.n; i++) {
    o.log(`idle connect() tab→tab, tab→node, node→tab ${i + 1}/${o.n}`);
    await o.eachRound?.();
    const ida = await a.start(o.url, o.key);
    const idb = await b.start(o.url, o.key);
    await a.seePeer(ida, idb);
    if (keep('tabTab', await a.connect(ida, idb))) out.tabTabAnswerer.push(await b.linkOpenMs(idb, ida));
    await Promise.all([a.stop(ida), b.stop(idb)]);

    const idc = await a.start(o.url, o.key);
    await a.seePeer(idc, o.nodePeerId);
    keep('tabNode', await a.connect(idc, o.nodePeerId));
    await a.stop(idc);

    const idd = await b.start(o.url, o.key);
    const node = await startNodeMesh(o.url, o.key, o.bindAddress);
    const idn = node.peerId!;
    try {
      await seesPeer(node, idd);
      if (keep('nodeTab', await nodeConnect(node, idd))) out.nodeTabAnswerer.push(await b.linkOpenMs(idd, idn));
    } finally {
      await Promise.all([node.stop(), b.stop(idd)]);
    }
  }
  await Promise.all([pa!.context().close(), pb!.context().close()]);
  return out;
}
