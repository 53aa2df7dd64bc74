import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDataDir } from '../../headless-node/session/data-dir.ts';
import { createFilePinStore, PIN_FILE } from '../../headless-node/session/pin-file.ts';
import { generateIdentity } from '../../protocol/index.ts';
import { MeshError } from '../../web/mesh/errors.ts';
import { seesPeers, startPeer, waitFor } from '../mesh/harness.ts';
import { expectOnlyLinkProofs, startDtlsMitm } from './helpers/dtls-mitm.ts';
import { identityFailures, loopback, startKeyedPeer, useCompromisedServer } from './helpers/identity-peers.ts';
import { impersonate, renamePeer } from './helpers/impersonate.ts';
import { idFor } from '../helpers/test-identity.ts';

const ctx = useCompromisedServer();

const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as MeshError);

describe('peer identity over a compromised signaling server (node ↔ node)', () => {
  it('verifies both ends of an honest connection before any message flows', async () => {
    const a = await startKeyedPeer(ctx.relay.url);
    const b = await startKeyedPeer(ctx.relay.url);
    await seesPeers(a.mesh, [b.id]);
    const seen = waitFor(b.mesh, 'identity', (e) => e.peerId === a.id);
    expect((await a.mesh.call(b.id, 'echo', 'hello')).output).toBe('hello');
    expect(await seen).toMatchObject({ status: 'verified', keyDerived: true, firstContact: true });
    const link = a.mesh.links().find((l) => l.peerId === b.id)!;
    expect(link).toMatchObject({ state: 'open', tier: 'direct', identity: 'verified' });
    expect(link.verifyMs).toBeGreaterThanOrEqual(0);
  });

  it('catches a DTLS man in the middle: both ends refuse and only link proofs cross it', async () => {
    const a = await startKeyedPeer(ctx.relay.url);
    const b = await startKeyedPeer(ctx.relay.url);
    await seesPeers(a.mesh, [b.id]);
    const tap = startDtlsMitm(ctx.relay, { a: a.id, b: b.id, platform: loopback() });
    try {
      const refusedByA = waitFor(a.mesh, 'identity', (e) => e.peerId === b.id && e.status === 'refused', 30_000);
      const refusedByB = waitFor(b.mesh, 'identity', (e) => e.peerId === a.id && e.status === 'refused', 30_000);
      const err = await failure(a.mesh.call(b.id, 'echo', 'secret'));
      // The relay really sat in the middle: both DataChannels opened to it.
      await tap.bridged;
      expect(err).toBeInstanceOf(MeshError);
      expect([err!.code, err!.retryable]).toEqual(['identity-failed', false]);
      expect(err!.message).toMatch(/fingerprint-mismatch.*someone is in the middle/);
      expect(await refusedByA).toMatchObject({ reason: 'fingerprint-mismatch' });
      expect(await refusedByB).toMatchObject({ reason: 'fingerprint-mismatch' });
      expectOnlyLinkProofs(tap, [a.id, b.id]);
      expect(b.host.runs).toEqual([]);
      // The peer stays cut off (no fallback through the server either) until it rejoins.
      expect((await failure(a.mesh.call(b.id, 'echo', 'again')))?.code).toBe('identity-failed');
      expect(a.mesh.links().find((l) => l.peerId === b.id)).toMatchObject({ state: 'closed', identity: 'refused' });
      await expect.poll(() => identityFailures(ctx.server.url, 'fingerprint-mismatch'), { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    } finally {
      tap.stop();
    }
  });

  it('catches an impostor answering in a key-derived peer\'s name (peer id swap)', async () => {
    const victim = await startKeyedPeer(ctx.relay.url);
    const impostor = await startKeyedPeer(ctx.relay.url);
    const stopSwap = ctx.relay.use(impersonate({ victim: victim.id, impostor: impostor.id }));
    try {
      const caller = await startKeyedPeer(ctx.relay.url);
      const refused = waitFor(caller.mesh, 'identity', (e) => e.peerId === victim.id && e.status === 'refused');
      const err = await failure(caller.mesh.call(victim.id, 'echo', 'for the victim only'));
      expect(err?.code).toBe('identity-failed');
      // It answered and signed as itself: its proof names the wrong peer.
      expect(await refused).toMatchObject({ reason: 'wrong-peer' });
      expect(impostor.host.runs).toEqual([]);
      expect(victim.host.runs).toEqual([]);
    } finally {
      stopSwap();
    }
  });

  it('catches an impostor that is told it *is* the victim and signs in its name', async () => {
    const victim = await startKeyedPeer(ctx.relay.url);
    const { identity } = await generateIdentity();
    // The impostor's own welcome must be rewritten too, so the swap starts before it joins.
    const stopSwap = ctx.relay.use(impersonate({ victim: victim.id, impostor: identity.peerId, claim: true }));
    try {
      const impostor = await startKeyedPeer(ctx.relay.url, {}, identity);
      expect(impostor.mesh.peerId).toBe(victim.id);
      const caller = await startKeyedPeer(ctx.relay.url);
      const refused = waitFor(caller.mesh, 'identity', (e) => e.peerId === victim.id && e.status === 'refused');
      expect((await failure(caller.mesh.call(victim.id, 'echo', 'for the victim only')))?.code).toBe('identity-failed');
      expect(await refused).toMatchObject({ reason: 'id-mismatch' });
      expect(impostor.host.runs).toEqual([]);
      await expect.poll(() => identityFailures(ctx.server.url, 'id-mismatch'), { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    } finally {
      stopSwap();
    }
  });
});

describe('known-peer pinning for plain-name ids (only a compromised or older server hands them out)', () => {
  const dir = () => openDataDir(mkdtempSync(join(tmpdir(), 'tabmesh-pins-')));

  it('remembers a key in a 0600 file and refuses the same name with another key', async () => {
    const data = dir();
    // The server calls bob (and bob himself) "bob-plain", so peers can only pin the key behind that name.
    const stopRename = ctx.relay.use(renamePeer({ id: idFor('bob-plain'), name: 'bob-plain' }));
    const bob = await startPeer({ url: ctx.relay.url }, 'bob-plain', { autoConnect: false });
    try {
      const alice = await startPeer({ url: ctx.relay.url }, 'alice-plain', { autoConnect: false, pins: createFilePinStore(data) });
      const first = waitFor(alice.mesh, 'identity', (e) => e.peerId === 'bob-plain');
      expect((await alice.mesh.call('bob-plain', 'echo', 'hi')).output).toBe('hi');
      expect(await first).toMatchObject({ status: 'verified', keyDerived: false, firstContact: true });
      expect(statSync(join(data.path, PIN_FILE)).mode & 0o777).toBe(0o600);
      await alice.mesh.stop();
    } finally {
      stopRename();
    }

    // Mallory gets bob's name from the server and signs with her own key.
    // Layered under the renaming (added later, so it sits nearer the clients): the swap works on real ids.
    const stop = ctx.relay.use(impersonate({ victim: idFor('bob-plain'), impostor: idFor('mallory'), claim: true }));
    const stopRename2 = ctx.relay.use(renamePeer({ id: idFor('bob-plain'), name: 'bob-plain' }));
    try {
      const mallory = await startPeer({ url: ctx.relay.url }, 'mallory', { autoConnect: false });
      expect(mallory.mesh.peerId).toBe('bob-plain');
      const again = await startPeer({ url: ctx.relay.url }, 'alice-plain-2', { autoConnect: false, pins: createFilePinStore(data) });
      const refused = waitFor(again.mesh, 'identity', (e) => e.peerId === 'bob-plain' && e.status === 'refused');
      const warned = waitFor(again.mesh, 'error', (e) => e.code === 'identity-failed');
      expect((await failure(again.mesh.call('bob-plain', 'echo', 'for bob')))?.code).toBe('identity-failed');
      expect(await refused).toMatchObject({ reason: 'pin-mismatch' });
      expect((await warned)?.message).toMatch(/known with another key/);
      expect(mallory.host.runs).toEqual([]);
      expect(bob.host.runs).toEqual(['echo']);

      // Policy "warn": accepted, re-pinned, and said loudly.
      const lax = await startPeer({ url: ctx.relay.url }, 'alice-plain-3', { autoConnect: false, pins: createFilePinStore(data), pinPolicy: 'warn' });
      const changed = waitFor(lax.mesh, 'identity', (e) => e.peerId === 'bob-plain' && e.status === 'key-changed');
      const loud = waitFor(lax.mesh, 'error', (e) => e.code === 'identity-key-changed');
      await lax.mesh.call('bob-plain', 'echo', 'accepted under warn');
      await Promise.all([changed, loud]);
      expect(mallory.host.runs).toEqual(['echo']);
      await expect.poll(() => identityFailures(ctx.server.url, 'pin-mismatch'), { timeout: 5000 }).toBeGreaterThanOrEqual(1);
    } finally {
      stopRename2();
      stop();
    }
  });
});
