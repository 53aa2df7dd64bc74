import { HttpError } from '../http/http-error.ts';
import type { PeerSummary } from '../../protocol/index.ts';

export const PEER_PAGE = { default: 500, max: 1000 } as const;

export interface PeerPage {
  peers: PeerSummary[];
  /** Peers in the mesh now. */
  total: number;
  /** Pass as `after` for the next page; absent on the last page. */
  next?: string;
}

/**
 * One page of a mesh's membership, in peer-id order, after the id `after` (exclusive). Ordered
 * by id rather than join time so a page boundary stays put while peers come and go: a peer
 * joining or leaving mid-walk shifts no other peer into or out of an unread page.
 */
export function pagePeers(all: readonly PeerSummary[], limitRaw: string | undefined, after: string | undefined): PeerPage {
  const limit = limitRaw === undefined ? PEER_PAGE.default : Number(limitRaw);
  if (!Number.isInteger(limit) || limit < 1 || limit > PEER_PAGE.max) {
    throw new HttpError(400, 'invalid-query', `limit: must be an integer from 1 to ${PEER_PAGE.max}`);
  }
  if (after !== undefined && (after.length === 0 || after.length > 128)) throw new HttpError(400, 'invalid-query', 'after: must be 1-128 characters (a peer id)');
  const sorted = [...all].sort((a, b) => (a.peerId < b.peerId ? -1 : a.peerId > b.peerId ? 1 : 0));
  let start = 0;
  if (after !== undefined) while (start < sorted.length && sorted[start]!.peerId <= after) start++;
  const peers = sorted.slice(start, start + limit);
  const more = start + limit < sorted.length;
  return { peers, total: sorted.length, ...(more ? { next: peers.at(-1)!.peerId } : {}) };
}
