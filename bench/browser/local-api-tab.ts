import { connectLocalApi } from '../../headless-node/local-api/client.ts';
import { inNetns, launchChromium } from '../../test/browser/helpers/chromium.ts';
import type { BenchContext, BenchResult } from '../lib/bench-types.ts';
import { interleave } from '../lib/interleave.ts';
import { startTabmeshNode, timeCli } from '../lib/tabmesh-cli.ts';
import { row } from '../local-api.ts';
import { ADMIN, newTab, startHubServer } from './hub-server.ts';

/**
 * `tabmesh call` to a hub tab's echo: the one-shot join against a call through a running node's
 * local API (over the node's open DataChannel to the tab), in the same run.
 */
export async function measureLocalApiTab(ctx: BenchContext): Promise<BenchResult> {
  const [oneShotN, cliN, apiN] = ctx.quick ? [5, 10, 50] : [30, 40, 300];
  const server = await startHubServer();
  const browser = await launchChromium();
  const bindAddress = inNetns ? '10.99.0.1' : '127.0.0.1';
  const tab = await newTab(browser, server.url);
  // Started after the tab, so the tab is in the node's welcome (and the node offers to it).
  const node = await startTabmeshNode({ url: server.url, key: ADMIN, name: 'bench-node', skills: 'echo', bindAddress });
  try {
    const api = await connectLocalApi(node.dataDir);
    await api.connect(tab.peerId, { timeoutMs: 20_000 });
    const warm = await api.call('echo', 'warm', { peer: tab.peerId });
    const base = ['call', '--skill', 'echo', '--to', tab.peerId, '--input', '"hello"'];
    ctx.log(`one-shot call x${oneShotN}, --data-dir x${cliN}, local API x${apiN} to the tab, interleaved`);
    const apiCall = async () => {
      const t0 = performance.now();
      const c = await connectLocalApi(node.dataDir);
      await c.call('echo', 'hello', { peer: tab.peerId });
      c.close();
      return performance.now() - t0;
    };
    const { oneShot, viaNodeCli, viaNodeApi } = await interleave({
      oneShot: { n: oneShotN, sample: () => timeCli([...base, '--url', server.url, '--key', ADMIN, '--bind-address', bindAddress]) },
      viaNodeCli: { n: cliN, sample: () => timeCli([...base, '--data-dir', node.dataDir]) },
      viaNodeApi: { n: apiN, sample: apiCall },
    }, ctx.log);
    api.close();
    return {
      rows: [
        row('tabmesh call to a hub tab, one-shot join', 'CLI process wall time', oneShot),
        row('tabmesh call --data-dir to a hub tab (running node)', 'CLI process wall time', viaNodeCli),
        row('local API: connect, call, close (to the tab)', 'in a running client', viaNodeApi),
      ],
      notes: [
        `Target: the built-in echo of a hub tab (Chromium ${browser.version()}, agents in Web Workers); the node's link to it: ${warm.tier}.`,
        `Network: ${inNetns ? 'private namespace, host candidates on a veth pair' : 'host (no namespace could be made)'}.`,
        'The three rows are sampled interleaved (spread over the same rounds), so load drift favours none.',
      ],
      settings: [
        `the node and every one-shot \`tabmesh call\` bind ${bindAddress} (\`--bind-address\`), inside the benchmark's private network namespace`,
        'Chromium headless (playwright-core), one hub tab opened with the admin key (`#admin=`)',
      ],
      details: { oneShot, viaNodeCli, viaNodeApi },
    };
  } finally {
    await node.stop();
    await browser.close();
    await server.stop();
  }
}
