import { describe, expect, it } from 'vitest';
import { peerIdForKey, signText, verifyText } from '../../protocol/index.ts';
import { identityFor, idFor, nameOf } from './test-identity.ts';

describe('test identities derived from names', () => {
  it('gives a name the same key-derived id every time, and different names different ids', async () => {
    const alice = await identityFor('alice');
    expect(alice.peerId).toMatch(/^k[0-9a-f]{32}$/);
    expect(idFor('alice')).toBe(alice.peerId);
    expect(await peerIdForKey(alice.publicIdentity)).toBe(alice.peerId);
    expect(idFor('bob')).not.toBe(alice.peerId);
    expect(idFor(alice.peerId)).toBe(alice.peerId);
    expect(nameOf(alice.peerId)).toBe('alice');
    // The id does not depend on this process: a fixed name has a fixed id.
    expect(idFor('alice')).toBe('k' + (await import('node:crypto')).createHash('sha256').update(Buffer.from(alice.publicIdentity.key, 'base64url')).digest('hex').slice(0, 32));
  });

  it('signs with the key its id stands for', async () => {
    const bob = await identityFor('bob');
    const sig = await signText(bob, 'hello');
    expect(await verifyText(bob.publicIdentity, 'hello', sig)).toBe(true);
    expect(await verifyText((await identityFor('alice')).publicIdentity, 'hello', sig)).toBe(false);
  });

  it('refuses a key-derived id it never derived', async () => {
    await expect(identityFor('k' + '0'.repeat(32))).rejects.toThrow(/no known key/);
  });
});
