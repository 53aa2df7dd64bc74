import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmptyAgentHost } from '../../headless-node/cli/empty-agent-host.ts';
import { encodeFrames, encodeJson } from '../../web/mesh/channel/framing.ts';
import { createMesh, type Mesh } from '../../web/mesh/mesh.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';
import { identityFor, idFor } from '../helpers/test-identity.ts';
import { agentChannelsOf, nextError, recordingPlatform, type RecordingPlatform } from '../mesh/agent-channel-fixtures.ts';
import { ADMIN_KEY, MESH_WAIT_MS, openAdminTab, openView, type HubTab } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';
import { nodeBindAddress } from './helpers/node-address.ts';
import { withoutDataChannelTransfer } from './helpers/no-transfer.ts';

const suite = hubSuite();
let tab: HubTab & { peerId: string };
let node: Mesh;
let platform: RecordingPlatform;

/** The transport chip of one of a tab's own agents in its peer list. */
const transportChip = (t: { page: Page; peerId: string }, agent: string, attrs: string) =>
  t.page.locator(`li[data-peer="${t.peerId}"] [data-agent="${t.peerId}:${agent}"] [data-testid=agent-transport]${attrs}`);

beforeAll(async () => {
  tab = await openAdminTab(suite.browser, suite.server.url);
  // An in-process Node peer on the namespace's address, so the test can see its links' agent channels.
  node = createMesh({
    url: suite.server.url,
    platform: (platform = recordingPlatform({}, nodeBindAddress())),
    identity: await identityFor('channel-caller'),
    getToken: apiKeyTokenSource({ url: suite.server.url, key: ADMIN_KEY, fetch, identity: await identityFor('channel-caller') }),
    host: createEmptyAgentHost(),
  });
  await node.start();
});
afterAll(async () => {
  await node?.stop();
});

describe('agent channels: DataChannels handed to the agents\' Workers', () => {
  it('a Node peer\'s calls are served by the tab\'s Workers over their own DataChannels, not the main thread', async () => {
    await agentChannelsOf(node, tab.peerId, ['basic', 'page'], MESH_WAIT_MS);

    expect(await node.call(tab.peerId, 'echo', { hello: 'worker' })).toMatchObject({ output: { hello: 'worker' }, tier: 'direct', agentChannel: 'basic' });
    const chunks: unknown[] = [];
    const streamed = await node.call(tab.peerId, 'chat', { text: 'hello agent channel' }, { stream: true, onChunk: (c) => chunks.push(c) });
    expect(chunks).toEqual(['You ', 'said: ', 'hello ', 'agent ', 'channel']);
    expect(streamed).toMatchObject({ output: 'You said: hello agent channel', agentChannel: 'basic' });
    const pieces: string[] = [];
    expect(await node.chat(tab.peerId, 'and a chat', { onChunk: (t) => pieces.push(t) })).toMatchObject({ text: 'You said: and a chat', agentChannel: 'basic' });
    expect(pieces).toEqual(['You ', 'said: ', 'and ', 'a ', 'chat']);
    const info = await node.call(tab.peerId, 'page-info', null);
    expect(info).toMatchObject({ output: { title: 'tabmesh hub' }, agentChannel: 'page' });

    // What no honest peer sends, straight onto the basic agent's channel: the Worker answers each
    // with an error and keeps serving.
    const raw = platform.received.find((c) => c.label === 'tabmesh/agent/basic' && c.readyState === 'open')!;
    const frame = (value: unknown) => [...encodeFrames(4_000_000, typeof value === 'string' ? new TextEncoder().encode(value) : encodeJson(value))][0]!;
    const bad: Array<[() => void, string, RegExp]> = [
      [() => raw.send('text, not a frame'), 'bad-frame', /binary/],
      [() => raw.send(new Uint8Array([1, 3, 0])), 'bad-frame', /header/],
      [() => raw.send(frame('{ nope')), 'bad-message', /JSON/],
      [() => raw.send(frame({ v: 1, id: 'b1', type: 'task-request', from: idFor('channel-caller'), to: tab.peerId, payload: { skill: 'echo', input: 1, timeoutMs: -1 } })), 'bad-message', /payload\.timeoutMs/],
      [() => raw.send(frame({ v: 1, id: 'b2', type: 'chat', from: idFor('channel-caller'), to: 'someone-else', payload: { text: 'hi' } })), 'bad-message', /^to: must be this peer/],
    ];
    for (const [send, code, message] of bad) {
      const reply = nextError(node, code, MESH_WAIT_MS);
      send();
      const e = await reply;
      expect(e.peerId).toBe(tab.peerId);
      expect(e.message).toMatch(message);
    }
    expect((await node.call(tab.peerId, 'echo', 'still serving')).agentChannel).toBe('basic');

    // The tab shows how its agents are reached: their own channels, and no call crossed the bridge.
    await transportChip(tab, 'basic', '[data-transport="datachannel"][data-channel-runs="4"][data-bridge-runs="0"]').waitFor({ timeout: MESH_WAIT_MS });
    await transportChip(tab, 'page', '[data-transport="datachannel"][data-channel-runs="1"][data-bridge-runs="0"]').waitFor({ timeout: MESH_WAIT_MS });
    expect(tab.problems).toEqual([]);
  });

  it('where the browser cannot transfer a DataChannel, the agents are reached over the MessagePort bridge', async () => {
    // Stands in for a browser without the feature (Firefox): the transfer throws DataCloneError.
    const context = await suite.browser.newContext({ viewport: { width: 1100, height: 800 } });
    await withoutDataChannelTransfer(context);
    const old = await openAdminTab(suite.browser, suite.server.url, context);

    const bridged = transportChip(old, 'basic', '[data-transport="bridge"]');
    await bridged.waitFor({ timeout: MESH_WAIT_MS });
    expect(await bridged.getAttribute('title')).toMatch(/DataChannel transfer unsupported: RTCDataChannel is not transferable here/);
    await node.connect(old.peerId, { timeoutMs: MESH_WAIT_MS });
    expect(node.links().find((l) => l.peerId === old.peerId)?.agentChannels).toEqual([]);
    const bridged1 = await node.call(old.peerId, 'echo', 'over the bridge');
    expect(bridged1.output).toBe('over the bridge');
    expect(bridged1.agentChannel).toBeUndefined();
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
    await transportChip(tab, 'basic', '[data-channel-runs="5"][data-bridge-runs="0"]').waitFor({ timeout: MESH_WAIT_MS });
    expect(old.problems).toEqual([]);
    await context.close();
  });
});
