import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDataDir } from '../../headless-node/session/data-dir.ts';
import { loadNodeIdentity } from '../../headless-node/session/node-identity.ts';
import { createFilePinStore, PIN_FILE } from '../../headless-node/session/pin-file.ts';
import { createNodeTokenSource } from '../../headless-node/session/token-source.ts';
import { generateIdentity, KEY_PEER_ID_PATTERN, peerIdForKey, signText, verifyText } from '../../protocol/index.ts';
import type { ServerProcess } from '../helpers/server-process.ts';
import { AGENT_KEY, startMeshServer } from '../mesh/harness.ts';

const mode = (path: string) => statSync(path).mode & 0o777;
const freshDir = () => openDataDir(join(mkdtempSync(join(tmpdir(), 'tabmesh-node-id-')), 'node'));

let server: ServerProcess;
beforeAll(async () => {
  server = await startMeshServer();
});
afterAll(() => server?.stop());

describe('Node peer identity (data dir)', () => {
  it('creates a key-derived id once, keeps it in a 0600 file, and proves it at token time', async () => {
    const dir = freshDir();
    const identity = await loadNodeIdentity(dir);
    expect(identity.peerId).toMatch(KEY_PEER_ID_PATTERN);
    expect(await peerIdForKey(identity.publicIdentity)).toBe(identity.peerId);
    expect(mode(join(dir.path, 'identity.json'))).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir.path, 'identity.json'), 'utf8'))).toMatchObject({ version: 2, peerId: identity.peerId, alg: identity.publicIdentity.alg });
    // In memory the private key signs but cannot be exported.
    expect(identity.privateKey.extractable).toBe(false);
    const again = await loadNodeIdentity(dir);
    expect(again.peerId).toBe(identity.peerId);
    expect(await verifyText(identity.publicIdentity, 'x', await signText(again, 'x'))).toBe(true);

    const tokens = createNodeTokenSource({ url: server.url, secret: AGENT_KEY, identity });
    await tokens.getToken();
    expect(tokens.last()).toMatchObject({ peerId: identity.peerId, verified: true });
  });

  it('moves an older identity.json (node-… id) to the key-derived id of the same key', async () => {
    const dir = freshDir();
    const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const legacy = {
      peerId: 'node-abcdefghijklmnop',
      publicKey: await webcrypto.subtle.exportKey('jwk', keys.publicKey),
      privateKey: await webcrypto.subtle.exportKey('jwk', keys.privateKey),
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    writeFileSync(join(dir.path, 'identity.json'), JSON.stringify(legacy), { mode: 0o600 });
    const identity = await loadNodeIdentity(dir);
    const raw = new Uint8Array(await webcrypto.subtle.exportKey('raw', keys.publicKey));
    expect(identity.publicIdentity).toEqual({ alg: 'ECDSA-P256', key: Buffer.from(raw).toString('base64url') });
    expect(identity.peerId).toMatch(KEY_PEER_ID_PATTERN);
    const stored = JSON.parse(readFileSync(join(dir.path, 'identity.json'), 'utf8'));
    expect(stored).toMatchObject({ version: 2, peerId: identity.peerId, alg: 'ECDSA-P256', previousPeerId: 'node-abcdefghijklmnop', createdAt: legacy.createdAt });
    expect(mode(join(dir.path, 'identity.json'))).toBe(0o600);
    expect((await loadNodeIdentity(dir)).peerId).toBe(identity.peerId);
  });

  it('refuses a file whose id does not match its key', async () => {
    const dir = freshDir();
    const identity = await loadNodeIdentity(dir);
    const path = join(dir.path, 'identity.json');
    const other = (await generateIdentity()).identity.peerId;
    writeFileSync(path, readFileSync(path, 'utf8').replace(identity.peerId, other));
    await expect(loadNodeIdentity(dir)).rejects.toThrow(/peerId does not match the key/);
  });

  it('keeps pins in a 0600 file across restarts and drops malformed entries', async () => {
    const dir = freshDir();
    const { identity } = await generateIdentity();
    await createFilePinStore(dir).set('bob', identity.publicIdentity);
    expect(mode(join(dir.path, PIN_FILE))).toBe(0o600);
    expect(await createFilePinStore(dir).get('bob')).toEqual(identity.publicIdentity);
    const file = JSON.parse(readFileSync(join(dir.path, PIN_FILE), 'utf8'));
    file.pins.broken = { alg: 'RSA', key: 'x' };
    writeFileSync(join(dir.path, PIN_FILE), JSON.stringify(file));
    const warnings: string[] = [];
    const reloaded = createFilePinStore(dir, (l) => warnings.push(l));
    expect(warnings).toEqual([`${dir.path}/${PIN_FILE}: ignored 1 malformed pin(s)`]);
    expect(await reloaded.get('broken')).toBeUndefined();
    expect(await reloaded.get('bob')).toEqual(identity.publicIdentity);
  });
});
