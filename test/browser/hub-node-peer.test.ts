import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { createGate, type Gate } from './helpers/gate.ts';
import { ADMIN_KEY, MESH_WAIT_MS, openAdminTab, openView } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';
import { nodeBindAddress } from './helpers/node-address.ts';

const SKILLS_MODULE = new URL('./fixtures/gated-chat-skills.mjs', import.meta.url).pathname;

const suite = hubSuite();
let gate: Gate;
let node: NodePeer;

beforeAll(async () => {
  gate = await createGate();
  node = await startNodePeer({
    url: suite.server.url, name: 'pi', key: ADMIN_KEY,
    args: ['--bind-address', nodeBindAddress(), '--skills', 'echo,time', '--skills-module', SKILLS_MODULE],
    env: { TABMESH_TEST_GATE_URL: gate.url },
    timeoutMs: MESH_WAIT_MS,
  });
});
afterAll(async () => {
  await node?.stop();
  await gate?.close();
});

describe('a tab and a headless Node peer', () => {
  it('call each other\'s skills over a direct DataChannel and chat with a streamed reply', async () => {
    const tab = await openAdminTab(suite.browser, suite.server.url);
    const { page } = tab;
    await page.locator(`li[data-peer="${node.peerId}"] [data-link-state="open"][data-tier="direct"]`).waitFor({ timeout: MESH_WAIT_MS });

    // Tab → Node: the Tasks form runs `time` on the Node agent, peer-to-peer.
    await openView(page, 'tasks');
    await page.locator('select[name=skill]').selectOption('time');
    const agentId = `${node.peerId}:pi`;
    await page.locator(`select[name=agent] option[value="${agentId}"]`).waitFor({ state: 'attached' });
    await page.locator('select[name=agent]').selectOption(agentId);
    await page.getByRole('button', { name: 'Run task' }).click();
    const call = page.locator('[data-testid=call-list] li[data-state="completed"][data-via="direct"]').first();
    const output = JSON.parse((await call.getByTestId('call-output').textContent())!) as { epochMs: number; iso: string };
    expect(Math.abs(output.epochMs - Date.now())).toBeLessThan(60_000);

    // Node → tab: the CLI runs the tab's page-info skill (in a Web Worker) by peer id.
    const res = await runCli(['call', '--url', suite.server.url, '--key', ADMIN_KEY, '--skill', 'page-info', '--to', tab.peerId, '--json', '--bind-address', nodeBindAddress()]);
    expect(res.code, res.stderr).toBe(0);
    const info = JSON.parse(res.stdout.trim().split('\n').at(-1)!) as { result: { title: string; url: string }; peer: string; tier: string };
    // The CLI waits up to 5 s for its DataChannel before it would fall back to the server relay
    // (docs/cli.md), well past libdatachannel's ~1 s loopback stall: the title claims direct.
    expect(info.tier).toBe('direct');
    expect(info.peer).toBe(tab.peerId);
    expect(info.result.title).toBe('tabmesh hub');
    expect(info.result.url).toBe(`${suite.server.url}/`);

    // Through the server only (--no-p2p): the fallback tier, sealed end to end by both cores
    // (ECDH, HKDF and AES-GCM in Chromium's WebCrypto as in Node's).
    const relayed = await runCli(['call', '--url', suite.server.url, '--key', ADMIN_KEY, '--skill', 'echo', '--to', tab.peerId, '--input', '"sealed"', '--no-p2p', '--json']);
    expect(relayed.code, relayed.stderr).toBe(0);
    expect(JSON.parse(relayed.stdout.trim().split('\n').at(-1)!)).toMatchObject({ result: 'sealed', peer: tab.peerId, tier: 'fallback' });

    // Chat: the reply renders piece by piece; the second piece waits for the gate.
    await openView(page, 'chat');
    await page.locator(`select[name=chat-agent] option[value="${agentId}"]`).waitFor({ state: 'attached' });
    await page.locator('select[name=chat-agent]').selectOption(agentId);
    await page.locator('input[name=message]').fill('hello node');
    await page.getByRole('button', { name: 'Send' }).click();
    const streaming = page.locator('.msg[data-who="them"][data-state="streaming"]');
    await streaming.getByText('Node heard "hello node".').waitFor();
    await gate.reached();
    gate.open('All done.');
    const done = page.locator('.msg[data-who="them"][data-state="done"]');
    await done.waitFor();
    expect(await done.textContent()).toBe('Node heard "hello node". All done.');
    expect(tab.problems).toEqual([]);
    await tab.context.close();
  });
});
