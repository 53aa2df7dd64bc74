import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, getToken } from '../helpers/server-process.ts';
import { runCli, startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { ADMIN_KEY, MESH_WAIT_MS, openTab } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';
import { createInvite } from './helpers/invites.ts';
import { nodeBindAddress } from './helpers/node-address.ts';

const suite = hubSuite();
let node: NodePeer;

beforeAll(async () => {
  node = await startNodePeer({
    url: suite.server.url, name: 'pi', key: ADMIN_KEY,
    args: ['--bind-address', nodeBindAddress(), '--skills', 'echo,time', '--skills-module', new URL('../../examples/my-skills.js', import.meta.url).pathname],
    timeoutMs: MESH_WAIT_MS,
  });
});
afterAll(async () => {
  await node?.stop();
});

const cli = (args: string[]) => runCli(['call', '--url', suite.server.url, '--key', ADMIN_KEY, '--json', '--bind-address', nodeBindAddress(), ...args]);
const lastJson = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1)!) as { result: unknown; peer: string; tier: string };

describe('the browser library example (examples/browser-library)', () => {
  it('joins by invite, calls a Node peer (streamed, by peer and by skill, cancellable) and serves its page and Worker skills to it', async () => {
    const { code } = await createInvite(suite.server.url, true);
    const tab = await openTab(suite.browser, `${suite.server.url}/examples/browser-library/#invite=${code}`);
    const { page } = tab;
    await page.locator('#status[data-state="joined"]').waitFor({ timeout: MESH_WAIT_MS }).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\nstatus: ${await page.locator('#status').textContent()}\n${tab.problems.join('\n')}`);
    });
    const peerId = (await page.locator('#peer-id').textContent())!;
    expect(peerId).toMatch(/^k[0-9a-f]{32}$/);
    // The invite left the address bar.
    expect(page.url()).toBe(`${suite.server.url}/examples/browser-library/`);
    await page.locator(`#peers li[data-peer="${node.peerId}"][data-state="open"][data-tier="direct"]`).waitFor({ timeout: MESH_WAIT_MS });

    // Page → Node, streamed: countdown yields 3, 2, 1 and returns "liftoff".
    await page.locator('#call select[name=peer]').selectOption(node.peerId);
    await page.locator('#call input[name=skill]').fill('countdown');
    await page.locator('#call input[name=input]').fill('{"from":3}');
    await page.getByRole('button', { name: 'Call' }).click();
    await page.locator('#output[data-state="done"]').waitFor({ timeout: MESH_WAIT_MS });
    expect(await page.locator('#output').textContent()).toBe('"liftoff"');
    expect(await page.locator('#output').getAttribute('data-tier')).toBe('direct');
    expect(await page.locator('#chunks li').allTextContents()).toEqual(['3', '2', '1']);

    // By skill name: the server's registry routes `word-count` to the Node agent.
    await page.locator('#call select[name=peer]').selectOption('');
    await page.locator('#call input[name=skill]').fill('word-count');
    await page.locator('#call input[name=input]').fill('{"text":"one two three"}');
    await page.getByRole('button', { name: 'Call' }).click();
    await page.locator('#output[data-state="done"]').waitFor({ timeout: MESH_WAIT_MS });
    expect(JSON.parse((await page.locator('#output').textContent())!)).toEqual({ words: 3, characters: 13 });
    expect(await page.locator('#output').getAttribute('data-peer')).toBe(node.peerId);

    // Progress for a large payload: 300 kB out to the Node's echo and back, in 16 KiB frames.
    const big = 'x'.repeat(300_000);
    await page.locator('#call input[name=skill]').fill('echo');
    await page.locator('#call input[name=input]').fill(JSON.stringify(big));
    await page.getByRole('button', { name: 'Call' }).click();
    await page.locator('#output[data-state="done"]').waitFor({ timeout: MESH_WAIT_MS });
    expect((await page.locator('#output').textContent())!.length).toBe(big.length + 2);
    const progress = page.locator('#progress');
    expect(Number(await progress.getAttribute('data-sent'))).toBeGreaterThan(big.length);
    expect(Number(await progress.getAttribute('data-received'))).toBeGreaterThan(big.length);

    // Cancel: a slow countdown is aborted by the page's AbortSignal after its first chunk.
    await page.locator('#call select[name=peer]').selectOption(node.peerId);
    await page.locator('#call input[name=skill]').fill('countdown');
    await page.locator('#call input[name=input]').fill('{"from":50,"delayMs":10000}');
    await page.getByRole('button', { name: 'Call' }).click();
    await page.locator('#chunks li').first().waitFor({ timeout: MESH_WAIT_MS });
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('#output[data-state="failed"]').waitFor({ timeout: MESH_WAIT_MS });
    expect(await page.locator('#output').getAttribute('data-code')).toBe('cancelled');

    // Node → page: `reverse` runs in the page itself, `shout` in the example's Worker.
    const reversed = await cli(['--skill', 'reverse', '--to', peerId, '--input', '{"text":"tabmesh"}']);
    expect(reversed.code, reversed.stderr).toBe(0);
    expect(lastJson(reversed.stdout)).toMatchObject({ result: 'hsembat', peer: peerId });
    const shouted = await cli(['--skill', 'shout', '--to', peerId, '--input', '{"text":"hi"}']);
    expect(shouted.code, shouted.stderr).toBe(0);
    expect(lastJson(shouted.stdout)).toMatchObject({ result: 'HI!', peer: peerId });

    // The page registered both agents (page and Worker) under its peer id.
    const token = await getToken(suite.server.url, ADMIN_KEY, 'registry-reader');
    const agents = await api(suite.server, 'GET', `/api/agents?peer=${peerId}`, { token });
    expect(agents.status).toBe(200);
    const registered = (agents.body as { agents: Array<{ name: string; skills: Array<{ name: string; streaming?: boolean }> }> }).agents;
    expect(registered.map((a) => [a.name, a.skills.map((s) => s.name).sort()]).sort()).toEqual([['example', ['count-up', 'reverse']], ['example-worker', ['shout']]]);
    expect(registered.find((a) => a.name === 'example')!.skills.find((s) => s.name === 'count-up')!.streaming).toBe(true);
    expect(tab.problems).toEqual([]);
    await tab.context.close();
  });
});
