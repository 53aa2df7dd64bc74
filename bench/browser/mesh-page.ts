import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { rolldown } from 'rolldown';
import type * as MeshCore from '../../web/mesh/index.ts';
import { ROOT } from '../lib/child-process.ts';

/**
 * Chromium pages running the mesh core (web/mesh, bundled) without the hub UI, so a benchmark can
 * start peers with `autoConnect: false`, let them settle, and then time `mesh.connect(peer)`. The
 * hub always auto-connects on join, so it cannot measure a connection between two idle tabs.
 */

/** One connect() as seen by the offering side. */
export interface ConnectSample {
  /** `mesh.connect()` called → link usable (DataChannel open and the peer's link proof verified), ms. */
  connectMs: number;
  /** RTCPeerConnection created → DataChannel open (`RouteInfo.openMs`), ms. */
  openMs: number;
  /** DataChannel open → peer's link proof verified (`RouteInfo.verifyMs`), ms. */
  verifyMs: number;
}

/** A connect() that ended on the server-relayed tier instead of a DataChannel, and why. */
export interface ConnectFailure { failed: string }

/** What the bench page exposes as `globalThis.bench` (installed by `installHarness`). */
interface PageHarness {
  /** Starts a mesh peer with a fresh key made in the page; resolves with its (key-derived) peer id. */
  start(url: string, key: string): Promise<string>;
  seePeer(peerId: string, remote: string): Promise<void>;
  connect(peerId: string, remote: string): Promise<ConnectSample | ConnectFailure>;
  linkOpenMs(peerId: string, remote: string): Promise<number>;
  stop(peerId: string): Promise<void>;
}

type PageGlobals = typeof globalThis & { tabmesh: typeof MeshCore; bench: PageHarness };

/** web/mesh/index.ts as one IIFE script that defines `globalThis.tabmesh`. */
export async function bundleMeshCore(): Promise<string> {
  const bundle = await rolldown({ input: join(ROOT, 'web/mesh/index.ts'), platform: 'browser', logLevel: 'warn' });
  const { output } = await bundle.generate({ format: 'iife', name: 'tabmesh' });
  await bundle.close();
  return output[0].code;
}

/** Runs in the page: mesh peers keyed by peer id, browser globals as the platform (as the hub does). */
function installHarness(): void {
  const g = globalThis as PageGlobals;
  const { createMesh, apiKeyTokenSource, generateIdentity } = g.tabmesh;
  const meshes = new Map<string, MeshCore.Mesh>();
  const get = (id: string) => meshes.get(id) ?? Promise.reject(new Error(`no mesh ${id}`));
  const noAgents: MeshCore.AgentHost = {
    agents: () => [],
    run: () => Promise.reject(new Error('no skills here')),
    close: () => Promise.resolve(),
  };
  const until = (mesh: MeshCore.Mesh, ready: () => boolean, what: string): Promise<void> => {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => (off1(), off2(), reject(new Error(`${mesh.peerId}: ${what} within 20 s`))), 20_000);
      const check = () => void (ready() && (clearTimeout(timer), off1(), off2(), resolve()));
      const off1 = mesh.on('link', check);
      const off2 = mesh.on('peer-joined', check);
    });
  };
  g.bench = {
    async start(url, key) {
      const fetch = globalThis.fetch.bind(globalThis);
      const { identity } = await generateIdentity();
      const peerId = identity.peerId;
      const mesh = createMesh({
        url,
        platform: { RTCPeerConnection, WebSocket, fetch, now: Date.now },
        identity,
        getToken: apiKeyTokenSource({ url, key, fetch, identity }),
        host: noAgents,
        autoConnect: false,
        linkReportMs: 600_000,
      });
      meshes.set(peerId, mesh);
      await mesh.start();
      return peerId;
    },
    async seePeer(peerId, remote) {
      const mesh = await get(peerId);
      await until(mesh, () => mesh.peers().some((p) => p.peerId === remote && p.present), `never saw ${remote}`);
    },
    async connect(peerId, remote) {
      const mesh = await get(peerId);
      const t0 = performance.now();
      const info = await mesh.connect(remote, { timeoutMs: 20_000 });
      const connectMs = performance.now() - t0;
      if (info.tier === 'fallback') return { failed: `no DataChannel (${info.lastError ?? 'fallback tier'})` };
      return { connectMs, openMs: info.openMs ?? NaN, verifyMs: info.verifyMs ?? NaN };
    },
    async linkOpenMs(peerId, remote) {
      const mesh = await get(peerId);
      const link = () => mesh.links().find((l) => l.peerId === remote && l.state === 'open' && l.openMs !== undefined);
      await until(mesh, () => link() !== undefined, `no open DataChannel to ${remote}`);
      return link()!.openMs!;
    },
    async stop(peerId) {
      const mesh = await get(peerId);
      meshes.delete(peerId);
      await mesh.stop();
    },
  };
}

/** A page on the server's origin (same origin as the hub: no CORS) with the mesh core loaded. */
export async function openMeshPage(context: BrowserContext, url: string, bundle: string): Promise<Page> {
  const page = await context.newPage();
  // A document the server itself sent: a Playwright-fulfilled page counts as a public address
  // space, and Chromium's local network access checks then block its requests to 127.0.0.1.
  await page.goto(`${url}/health`);
  await page.addScriptTag({ content: bundle });
  await page.evaluate(installHarness);
  return page;
}

/** Calls the page harness: `harness(page).start(...)` etc. run inside `page`. */
export function harness(page: Page): PageHarness {
  const call = <K extends keyof PageHarness>(name: K) =>
    ((...args: unknown[]) => page.evaluate(([n, a]) => ((globalThis as PageGlobals).bench[n as K] as (...x: unknown[]) => unknown)(...(a as unknown[])), [name, args] as const)) as PageHarness[K];
  return { start: call('start'), seePeer: call('seePeer'), connect: call('connect'), linkOpenMs: call('linkOpenMs'), stop: call('stop') };
}
