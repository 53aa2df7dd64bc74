import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { IdentityAlg } from '../../../protocol/identity.ts';

/** How this browser signs in: an API key (admin or agent) or a device token from pairing. */
export interface StoredCredential {
  kind: 'key' | 'device';
  secret: string;
  /** Known after the first token exchange (or from the pairing result). */
  role?: 'admin' | 'agent';
  mesh?: string;
  deviceId?: string;
  name?: string;
  /**
   * Set when the server refused this credential: `revoked` (an admin revoked it) or `unknown` (the
   * server does not know it, e.g. it lost its data). Kept, not deleted, so the outbox survives and
   * a reload still explains; pairing again replaces the whole record.
   */
  refused?: { reason: RefusalReason; at: number };
}

export type RefusalReason = 'revoked' | 'unknown';

/** A pairing request waiting for an admin; kept so a reload keeps waiting instead of re-redeeming. */
export type { PendingPairing } from '../../lib/pairing-client.ts';
import type { PendingPairing } from '../../lib/pairing-client.ts';

/** One tab identity: a non-extractable key pair (Ed25519, else P-256) and the peer id it certifies. */
export interface StoredIdentity {
  slot: number;
  peerId: string;
  alg: IdentityAlg;
  keys: CryptoKeyPair;
  createdAt: number;
}

/** The key a peer proved on a DataChannel the first time this browser talked to it (peer identity pinning). */
export interface StoredPin {
  peerId: string;
  alg: IdentityAlg;
  key: string;
  pinnedAt: number;
}

/** A chat message typed while the mesh was unreachable; sent in order on reconnect. */
export interface OutboxEntry {
  id?: number;
  to: string;
  agent?: string;
  text: string;
  createdAt: number;
}

interface HubSchema extends DBSchema {
  meta: { key: 'credential' | 'pairing'; value: StoredCredential | PendingPairing };
  identities: { key: number; value: StoredIdentity };
  outbox: { key: number; value: OutboxEntry };
  pins: { key: string; value: StoredPin };
}

export type HubDb = IDBPDatabase<HubSchema>;

let opened: Promise<HubDb> | undefined;

/** Opens (once per page) the hub's IndexedDB database `tabmesh-hub`. */
export function hubDb(): Promise<HubDb> {
  opened ??= openDB<HubSchema>('tabmesh-hub', 2, {
    upgrade(db, oldVersion) {
      if (oldVersion < 1) {
        db.createObjectStore('meta');
        db.createObjectStore('identities', { keyPath: 'slot' });
        db.createObjectStore('outbox', { keyPath: 'id', autoIncrement: true });
      }
      if (oldVersion < 2) db.createObjectStore('pins', { keyPath: 'peerId' });
    },
  });
  return opened;
}

export async function loadCredential(): Promise<StoredCredential | undefined> {
  return (await (await hubDb()).get('meta', 'credential')) as StoredCredential | undefined;
}

export async function saveCredential(cred: StoredCredential): Promise<void> {
  await (await hubDb()).put('meta', cred, 'credential');
}

export async function loadPendingPairing(): Promise<PendingPairing | undefined> {
  return (await (await hubDb()).get('meta', 'pairing')) as PendingPairing | undefined;
}

export async function savePendingPairing(p: PendingPairing | undefined): Promise<void> {
  const db = await hubDb();
  if (p) await db.put('meta', p, 'pairing');
  else await db.delete('meta', 'pairing');
}

/** localStorage key of the last agent list seen (state/control-state.ts). */
export const AGENTS_CACHE_KEY = 'tabmesh-last-agents';

/** Forgets everything this browser knows about the mesh: credential, identities, pins, outbox, caches. */
export async function forgetDevice(): Promise<void> {
  globalThis.localStorage?.removeItem(AGENTS_CACHE_KEY);
  const db = await hubDb();
  const stores = ['meta', 'identities', 'outbox', 'pins'] as const;
  const tx = db.transaction([...stores], 'readwrite');
  await Promise.all([...stores.map((name) => tx.objectStore(name).clear()), tx.done]);
}
