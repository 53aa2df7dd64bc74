import type { Browser as Firefox } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmptyAgentHost } from '../../headless-node/cli/empty-agent-host.ts';
import { createMesh } from '../../web/mesh/mesh.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';
import { agentChannelsOf, recordingPlatform } from '../mesh/agent-channel-fixtures.ts';
import { runCli, startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { hubPeerIdOf, launchFirefox, openFirefoxTab, textOf } from './helpers/firefox.ts';
import { ADMIN_KEY, MESH_WAIT_MS, openTab } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';
import { createInvite } from './helpers/invites.ts';
import { callThroughForm, playwrightForm, puppeteerForm } from './helpers/library-example-page.ts';
import { nodeBindAddress } from './helpers/node-address.ts';
import { refuseDataChannelTransfer } from './helpers/no-transfer.ts';
import { identityFor } from '../helpers/test-identity.ts';
import { waitFor } from '../helpers/wait-for.ts';

/**
 * Firefox (Debian's firefox-esr over WebDriver BiDi) next to Chromium and a headless Node peer,
 * all in the suite's network namespace. Firefox 153 ESR can transfer an RTCDataChannel to a
 * Worker, so its agents get channels of their own like Chromium's; peers that ask for none (and
 * any browser without the transfer) reach them over the MessagePort bridge, which both tests use.
 */
const suite = hubSuite();
let firefox: Firefox;
let node: NodePeer;

beforeAll(async () => {
  [firefox, node] = await Promise.all([
    launchFirefox(),
    startNodePeer({
      url: suite.server.url, name: 'pi', key: ADMIN_KEY,
      args: ['--bind-address', nodeBindAddress(), '--skills', 'echo,time', '--skills-module', new URL('../../examples/my-skills.js', import.meta.url).pathname],
      timeoutMs: MESH_WAIT_MS,
    }),
  ]);
});
afterAll(async () => {
  await firefox?.close();
  await node?.stop();
});

const cliCall = (to: string, skill: string, input: unknown) =>
  runCli(['call', '--url', suite.server.url, '--key', ADMIN_KEY, '--json', '--bind-address', nodeBindAddress(), '--skill', skill, '--to', to, '--input', JSON.stringify(input)]);
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { result: unknown; peer: string; tier: string };

/** An in-process Node peer (admin key, no agents of its own): the test sees which channel carried each call. */
async function inProcessPeer(name: string) {
  const identity = await identityFor(name);
  return createMesh({
    url: suite.server.url,
    platform: recordingPlatform({}, nodeBindAddress()),
    identity,
    getToken: apiKeyTokenSource({ url: suite.server.url, key: ADMIN_KEY, fetch, identity }),
    host: createEmptyAgentHost(),
  });
}

describe('Firefox', () => {
  it('joins the hub by invite, links directly to a Node peer, and its Worker agents serve an in-process peer on their own DataChannels and the CLI\'s one-shot peer too', async () => {
    const { code } = await createInvite(suite.server.url, true);
    const tab = await openFirefoxTab(firefox, `${suite.server.url}/#invite=${code}`);
    const caller = await inProcessPeer('firefox-caller');
    try {
      const peerId = await hubPeerIdOf(tab.page, MESH_WAIT_MS);
      expect(peerId).toMatch(/^k[0-9a-f]{32}$/);
      await tab.page.waitForSelector(`li[data-peer="${node.peerId}"] [data-link-state="open"][data-tier="direct"]`, { timeout: MESH_WAIT_MS });

      // Firefox 153 transfers a DataChannel to a Worker (the hub feature-detects it by trying):
      // each agent's Worker serves a channel of its own.
      await caller.start();
      await agentChannelsOf(caller, peerId, ['basic', 'page'], MESH_WAIT_MS);
      const direct = await caller.call(peerId, 'page-info', null);
      expect(direct).toMatchObject({ tier: 'direct', agentChannel: 'page', output: { title: 'tabmesh hub', url: `${suite.server.url}/` } });
      expect((direct.output as { userAgent: string }).userAgent).toMatch(/Firefox\/\d+/);
      expect(await caller.call(peerId, 'echo', { via: 'channel' })).toMatchObject({ agentChannel: 'basic', output: { via: 'channel' } });

      // The CLI's one-shot peer reaches the same Workers too: over the agent's channel when its
      // announcement arrived before the call, else over the main channel and the MessagePort bridge
      // (a race: the bridge alone is checked deterministically in the refused-transfer case below).
      const info = await cliCall(peerId, 'page-info', null);
      expect(info.code, info.stderr).toBe(0);
      expect(lastJson(info.stdout)).toMatchObject({ peer: peerId, result: { title: 'tabmesh hub' } });
      const echo = await cliCall(peerId, 'echo', { from: 'node' });
      expect(echo.code, echo.stderr).toBe(0);
      expect(lastJson(echo.stdout)).toMatchObject({ peer: peerId, result: { from: 'node' } });

      const chip = (agent: string) => `li[data-peer="${peerId}"] [data-agent="${peerId}:${agent}"] [data-testid=agent-transport]`;
      for (const agent of ['page', 'basic']) {
        const servedBoth = (sel: string) => {
          const el = document.querySelector<HTMLElement>(sel);
          const onChannel = Number(el?.dataset.channelRuns);
          return el?.dataset.transport === 'datachannel' && onChannel >= 1 && onChannel + Number(el.dataset.bridgeRuns) === 2;
        };
        await tab.page.waitForFunction(servedBoth, { timeout: MESH_WAIT_MS }, chip(agent)).catch(async (err: unknown) => {
          const chips = await tab.page.$$eval('[data-testid=agent-transport]', (els) => els.map((e) => e.outerHTML));
          throw new Error(`${String(err)}\n${chips.join('\n')}`);
        });
      }
      expect(tab.problems).toEqual([]);
    } finally {
      await caller.stop();
      await tab.close();
    }
  });

  it('where the transfer is refused, Firefox serves its agents over the MessagePort bridge', async () => {
    const { code } = await createInvite(suite.server.url, true);
    const tab = await openFirefoxTab(firefox, `${suite.server.url}/#invite=${code}`, refuseDataChannelTransfer);
    const caller = await inProcessPeer('bridge-caller');
    try {
      const peerId = await hubPeerIdOf(tab.page, MESH_WAIT_MS);
      await caller.start();
      // The tab shows its key-derived id before it has joined: wait until the mesh lists it.
      await waitFor(() => caller.peers().some((p) => p.peerId === peerId && p.present), MESH_WAIT_MS, `${peerId} in the caller's peers`);
      const res = await caller.call(peerId, 'page-info', null);
      expect(res).toMatchObject({ tier: 'direct', output: { title: 'tabmesh hub' } });
      // No agent channel carried it: the main channel, the main thread, the bridge.
      expect(res.agentChannel).toBeUndefined();
      const chunks: unknown[] = [];
      expect(await caller.call(peerId, 'chat', { text: 'over the bridge' }, { stream: true, onChunk: (c) => chunks.push(c) })).toMatchObject({ output: 'You said: over the bridge' });
      expect(chunks).toEqual(['You ', 'said: ', 'over ', 'the ', 'bridge']);
      const chip = (agent: string) => `li[data-peer="${peerId}"] [data-agent="${peerId}:${agent}"] [data-testid=agent-transport]`;
      await tab.page.waitForSelector(`${chip('page')}[data-transport="bridge"][data-channels="0"][data-bridge-runs="1"]`, { timeout: MESH_WAIT_MS });
      await tab.page.waitForSelector(`${chip('basic')}[data-transport="bridge"][data-channels="0"][data-bridge-runs="1"]`, { timeout: MESH_WAIT_MS });
      expect(tab.problems).toEqual([]);
    } finally {
      await caller.stop();
      await tab.close();
    }
  });

  it('runs the library example: Firefox ↔ Chromium ↔ Node calls both ways over direct DataChannels', async () => {
    const ff = await openFirefoxTab(firefox, `${suite.server.url}/examples/browser-library/#invite=${(await createInvite(suite.server.url, true)).code}`);
    const cr = await openTab(suite.browser, `${suite.server.url}/examples/browser-library/#invite=${(await createInvite(suite.server.url, true)).code}`);
    try {
      const ffPeer = await textOf(ff.page, '#status[data-state="joined"] ~ p #peer-id', MESH_WAIT_MS).catch(async (err: unknown) => {
        throw new Error(`${String(err)}\nstatus: ${await ff.page.$eval('#status', (e) => e.textContent)}\n${ff.problems.join('\n')}`);
      });
      await cr.page.locator('#status[data-state="joined"]').waitFor({ timeout: MESH_WAIT_MS });
      const crPeer = (await cr.page.locator('#peer-id').textContent())!;
      for (const other of [node.peerId, crPeer]) {
        await ff.page.waitForSelector(`#peers li[data-peer="${other}"][data-state="open"][data-tier="direct"]`, { timeout: MESH_WAIT_MS });
      }
      await cr.page.locator(`#peers li[data-peer="${ffPeer}"][data-state="open"][data-tier="direct"]`).waitFor({ timeout: MESH_WAIT_MS });
      const ffForm = puppeteerForm(ff.page);
      const crForm = playwrightForm(cr.page);

      // Firefox → Node, streamed.
      expect(await callThroughForm(ffForm, node.peerId, 'countdown', { from: 3 }, MESH_WAIT_MS)).toMatchObject({ state: 'done', output: '"liftoff"', tier: 'direct' });
      expect(await ff.page.$$eval('#chunks li', (els) => els.map((e) => e.textContent))).toEqual(['3', '2', '1']);
      // Firefox → Chromium (a page skill) and Chromium → Firefox (a Worker skill, over Firefox's bridge).
      expect(await callThroughForm(ffForm, crPeer, 'reverse', { text: 'firefox' }, MESH_WAIT_MS)).toMatchObject({ state: 'done', output: '"xoferif"', tier: 'direct', peer: crPeer });
      expect(await callThroughForm(crForm, ffPeer, 'shout', { text: 'chromium' }, MESH_WAIT_MS)).toMatchObject({ state: 'done', output: '"CHROMIUM!"', tier: 'direct', peer: ffPeer });
      expect(await callThroughForm(crForm, ffPeer, 'count-up', { to: 2 }, MESH_WAIT_MS)).toMatchObject({ state: 'done', output: '"done"', tier: 'direct' });
      expect(await cr.page.locator('#chunks li').allTextContents()).toEqual(['1', '2']);
      // Node → Firefox.
      for (const [skill, input, result] of [['reverse', { text: 'node' }, 'edon'], ['shout', { text: 'node' }, 'NODE!']] as const) {
        const res = await cliCall(ffPeer, skill, input);
        expect(res.code, res.stderr).toBe(0);
        expect(lastJson(res.stdout)).toMatchObject({ result, peer: ffPeer });
      }
      expect(ff.problems).toEqual([]);
      expect(cr.problems).toEqual([]);
    } finally {
      await ff.close();
      await cr.context.close();
    }
  });
});
