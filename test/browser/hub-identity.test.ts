import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodePlatform } from '../../headless-node/node-platform.ts';
import { expectOnlyLinkProofs, startDtlsMitm } from '../identity/helpers/dtls-mitm.ts';
import { startMaliciousRelay, type MaliciousRelay } from '../identity/helpers/malicious-relay.ts';
import { startNodePeer, type NodePeer } from '../node-peer/helpers/tabmesh-cli.ts';
import { ADMIN_KEY, MESH_WAIT_MS, openAdminTab } from './helpers/hub-tabs.ts';
import { hubSuite } from './helpers/hub-suite.ts';
import { nodeBindAddress } from './helpers/node-address.ts';

const suite = hubSuite();
let relay: MaliciousRelay;
let node: NodePeer;

// Tabs and the Node peer reach the server only through a relay the test controls.
beforeAll(async () => {
  relay = await startMaliciousRelay(suite.server.url);
  node = await startNodePeer({
    url: relay.url, name: 'pi-identity', key: ADMIN_KEY,
    args: ['--bind-address', nodeBindAddress(), '--skills', 'echo'],
    timeoutMs: MESH_WAIT_MS,
  });
});
afterAll(async () => {
  await node?.stop();
  await relay?.close();
});

describe('peer identity between a tab and a headless Node peer', () => {
  it('verifies both ends when the signaling server is honest', async () => {
    const tab = await openAdminTab(suite.browser, relay.url);
    await tab.page.locator(`li[data-peer="${node.peerId}"] [data-link-state="open"][data-identity="verified"]`).waitFor({ timeout: MESH_WAIT_MS });
    await node.waitForLine(new RegExp(`peer ${tab.peerId} verified \\((Ed25519|ECDSA-P256) key, key-derived id\\)`), MESH_WAIT_MS);
    expect(tab.problems).toEqual([]);
    await tab.context.close();
  });

  it('refuses a DTLS man in the middle on both sides; only the link proofs cross it', async () => {
    // The relay answers the tab's offer itself and offers to the Node peer in the tab's name.
    const tap = startDtlsMitm(relay, { a: node.peerId, platform: createNodePlatform({ bindAddress: nodeBindAddress() }) });
    try {
      const tab = await openAdminTab(suite.browser, relay.url);
      const chip = tab.page.locator(`li[data-peer="${node.peerId}"] [data-identity="refused"]`);
      await chip.waitFor({ timeout: MESH_WAIT_MS });
      expect(await chip.getAttribute('title')).toMatch(/fingerprint-mismatch.*someone is in the middle/);
      await node.waitForLine(new RegExp(`WARNING: refused peer ${tab.peerId}: identity check failed \\(fingerprint-mismatch\\)`), MESH_WAIT_MS);
      await tap.bridged;
      expectOnlyLinkProofs(tap, [tab.peerId, node.peerId]);
      expect(tab.problems).toEqual([]);
      await tab.context.close();
    } finally {
      tap.stop();
    }
  });
});
