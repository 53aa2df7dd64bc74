import { hubDb, type OutboxEntry } from '../session/hub-db.ts';

/**
 * Messages typed while the mesh was unreachable, persisted in IndexedDB so a reload or a closed
 * tab does not lose them; sent in order once the peer is reachable again.
 */
export interface Outbox {
  add(entry: Omit<OutboxEntry, 'id' | 'createdAt'>): Promise<OutboxEntry>;
  list(): Promise<OutboxEntry[]>;
  remove(id: number): Promise<void>;
}

export function createOutbox(): Outbox {
  return {
    async add(entry) {
      const full: OutboxEntry = { ...entry, createdAt: Date.now() };
      const id = await (await hubDb()).add('outbox', full);
      return { ...full, id };
    },
    async list() {
      return (await hubDb()).getAll('outbox');
    },
    async remove(id) {
      await (await hubDb()).delete('outbox', id);
    },
  };
}
