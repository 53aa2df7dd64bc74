import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmptyAgentHost } from '../../headless-node/cli/empty-agent-host.ts';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { createMesh, type Mesh } from '../../web/mesh/mesh.ts';
import { apiKeyTokenSource } from '../../web/mesh/token-source.ts';
import { ADMIN_KEY, MESH_WAIT_MS, openAdminTab, openView, type HubTab } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';
import { nodeBindAddress } from './helpers/node-address.ts';

const suite = hubSuite();
let tab: HubTab & { peerId: string };
let node: Mesh;

/** The transport chip of one of a tab's own agents in its peer list. */
const transportChip = (t: { page: Page; peerId: string }, agent: string, attrs: string) =>
  t.page.locator(`li[data-peer="${t.peerId}"] [data-agent="${t.peerId}:${agent}"] [data-testid=agent-transport]${attrs}`);

/** Resolves once `node`'s link to `peerId` lists exactly `agents` as served on their own channels. */
function agentChannelsOf(peerId: string, agents: string[]): Promise<void> {
  const ok = () => JSON.stringify(node.links().find((l) => l.peerId === peerId && l.state === 'open')?.agentChannels) === JSON.stringify(agents);
  if (ok()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (off(), reject(new Error(`agent channels of ${peerId}: ${JSON.stringify(node.links())}`))), MESH_WAIT_MS);
    const off = node.on('link', () => ok() && (clearTimeout(timer), off(), resolve()));
  });
}

beforeAll(async () => {
  tab = await openAdminTab(suite.browser, suite.server.url);
  // An in-process Node peer on the namespace's address, so the test can see its links' agent channels.
  node = createMesh({
    url: suite.server.url,
    platform: createNodePlatform({ bindAddress: nodeBindAddress() }),
    getToken: apiKeyTokenSource({ url: suite.server.url, key: ADMIN_KEY, peerId: 'channel-caller', fetch }),
    host: createEmptyAgentHost(),
  });
  await node.start();
});
afterAll(async () => {
  await node?.stop();
});

describe('agent channels: DataChannels handed to the agents\' Workers', () => {
  it('a Node peer\'s calls are served by the tab\'s Workers over their own DataChannels, not the main thread', async () => {
    await agentChannelsOf(tab.peerId, ['basic', 'page']);

    expect((await node.call(tab.peerId, 'echo', { hello: 'worker' })).output).toEqual({ hello: 'worker' });
    const chunks: unknown[] = [];
    const streamed = await node.call(tab.peerId, 'chat', { text: 'hello agent channel' }, { stream: true, onChunk: (c) => chunks.push(c) });
    expect(chunks).toEqual(['You ', 'said: ', 'hello ', 'agent ', 'channel']);
    expect(streamed.output).toBe('You said: hello agent channel');
    const pieces: string[] = [];
    expect((await node.chat(tab.peerId, 'and a chat', { onChunk: (t) => pieces.push(t) })).text).toBe('You said: and a chat');
    expect(pieces).toEqual(['You ', 'said: ', 'and ', 'a ', 'chat']);
    const info = (await node.call(tab.peerId, 'page-info', null)).output as { title: string };
    expect(info.title).toBe('tabmesh hub');

    // The tab shows how its agents are reached: their own channels, and no call crossed the bridge.
    await transportChip(tab, 'basic', '[data-transport="datachannel"][data-channel-runs="3"][data-bridge-runs="0"]').waitFor({ timeout: MESH_WAIT_MS });
    await transportChip(tab, 'page', '[data-transport="datachannel"][data-channel-runs="1"][data-bridge-runs="0"]').waitFor({ timeout: MESH_WAIT_MS });
    expect(tab.problems).toEqual([]);
  });

  it('where the browser cannot transfer a DataChannel, the agents are reached over the MessagePort bridge', async () => {
    // Stands in for a browser without the feature (Firefox): the transfer throws DataCloneError.
    const context = await suite.browser.newContext({ viewport: { width: 1100, height: 800 } });
    await context.addInitScript(() => {
      const post = Worker.prototype.postMessage as (this: Worker, message: unknown, transfer?: unknown) => void;
      Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: unknown) {
        const list = Array.isArray(transfer) ? transfer : ((transfer as { transfer?: unknown[] } | undefined)?.transfer ?? []);
        if (list.some((t) => t instanceof RTCDataChannel)) throw new DOMException('RTCDataChannel is not transferable here', 'DataCloneError');
        return post.call(this, message, transfer);
      } as typeof Worker.prototype.postMessage;
    });
    const old = await openAdminTab(suite.browser, suite.server.url, context);

    const bridged = transportChip(old, 'basic', '[data-transport="bridge"]');
    await bridged.waitFor({ timeout: MESH_WAIT_MS });
    expect(await bridged.getAttribute('title')).toMatch(/DataChannel transfer unsupported: RTCDataChannel is not transferable here/);
    await node.connect(old.peerId, { timeoutMs: MESH_WAIT_MS });
    expect(node.links().find((l) => l.peerId === old.peerId)?.agentChannels).toEqual([]);
    expect((await node.call(old.peerId, 'echo', 'over the bridge')).output).toBe('over the bridge');
    const chunks: unknown[] = [];
    await node.call(old.peerId, 'chat', { text: 'still streams' }, { stream: true, onChunk: (c) => chunks.push(c) });
    expect(chunks).toEqual(['You ', 'said: ', 'still ', 'streams']);
    await transportChip(old, 'basic', '[data-transport="bridge"][data-channel-runs="0"][data-bridge-runs="2"]').waitFor({ timeout: MESH_WAIT_MS });

    // Receiving agent channels needs no transfer: this tab's call to the first tab's echo goes
    // over the first tab's basic channel, to its Worker.
    await old.page.locator(`li[data-peer="${tab.peerId}"] [data-link-state="open"]`).waitFor({ timeout: MESH_WAIT_MS });
    await openView(old.page, 'tasks');
    await old.page.locator('select[name=skill]').selectOption('echo');
    const agentId = `${tab.peerId}:basic`;
    await old.page.locator(`select[name=agent] option[value="${agentId}"]`).waitFor({ state: 'attached' });
    await old.page.locator('select[name=agent]').selectOption(agentId);
    await old.page.locator('textarea[name=input]').fill('{"from":"the old browser"}');
    await old.page.getByRole('button', { name: 'Run task' }).click();
    const done = old.page.locator('[data-testid=call-list] li[data-state="completed"][data-via="direct"]').first();
    expect(JSON.parse((await done.getByTestId('call-output').textContent())!)).toEqual({ from: 'the old browser' });
    await transportChip(tab, 'basic', '[data-channel-runs="4"][data-bridge-runs="0"]').waitFor({ timeout: MESH_WAIT_MS });
    expect(old.problems).toEqual([]);
    await context.close();
  });
});
