import { generateIdentity, identityFromKeys, type Identity } from '../../../protocol/identity.ts';
import { hubDb } from './hub-db.ts';

/** No identity slot could be claimed (more tabs of this hub than slots). */
export class IdentityError extends Error {
  override name = 'IdentityError';
}

const MAX_SLOTS = 16;

/**
 * Claims the lowest free identity slot for this tab with a Web Lock held for the page's life,
 * so two tabs of one browser never share a peer id while a reload gets its old slot back.
 */
async function claimSlot(): Promise<number> {
  for (let slot = 0; slot < MAX_SLOTS; slot++) {
    const claimed = await new Promise<boolean>((resolve) => {
      void navigator.locks.request(`tabmesh-identity-${slot}`, { ifAvailable: true }, (lock) => {
        resolve(lock !== null);
        // Holding the callback's promise open holds the lock until the page goes away.
        return lock ? new Promise<void>(() => undefined) : undefined;
      });
    });
    if (claimed) return slot;
  }
  throw new IdentityError(`more than ${MAX_SLOTS} hub tabs are open in this browser`);
}

/**
 * This tab's self-certifying identity (peer id = hash of its public key), from IndexedDB or new.
 * The private key is non-extractable: it can sign but never leave this browser.
 */
export async function loadIdentity(): Promise<Identity> {
  const slot = await claimSlot();
  const db = await hubDb();
  const stored = await db.get('identities', slot);
  if (stored) return identityFromKeys(stored.alg, stored.keys.privateKey, stored.keys.publicKey);
  const { identity, keyPair } = await generateIdentity(false);
  await db.put('identities', { slot, peerId: identity.peerId, alg: identity.publicIdentity.alg, keys: keyPair, createdAt: Date.now() });
  return identity;
}
