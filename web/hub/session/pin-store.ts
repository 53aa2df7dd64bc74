import type { PinStore } from '../../lib/index.ts';
import { hubDb } from './hub-db.ts';

/** Peer keys this browser has seen on DataChannels, in the hub's IndexedDB (`pins` store). */
export function createIdbPinStore(): PinStore {
  return {
    async get(peerId) {
      const pin = await (await hubDb()).get('pins', peerId);
      return pin && { alg: pin.alg, key: pin.key };
    },
    async set(peerId, identity) {
      await (await hubDb()).put('pins', { peerId, alg: identity.alg, key: identity.key, pinnedAt: Date.now() });
    },
  };
}
