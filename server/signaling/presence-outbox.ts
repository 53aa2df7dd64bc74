import type { PeerSummary, ServerFrame } from '../../protocol/index.ts';

/** Presence entries one `presence` frame carries at most; the rest wait for the next interval. */
export const PRESENCE_MAX_ENTRIES = 64;

export interface PresenceOutboxOptions {
  send(frame: ServerFrame): void;
  /** At most one presence frame per this many ms (the first change after a quiet interval goes at once). */
  intervalMs: number;
  now(): number;
  /** The mesh size to report in a `presence` frame. */
  meshSize(): number;
}

/**
 * What one peer has been told about the others, and the changes it still has to hear. Changes
 * are batched: a join storm costs each peer one frame per interval, not one per join. A lone
 * change goes out as the old `peer-joined` / `peer-left` frame (what clients before batching
 * understand); several at once as one `presence` frame (left before joined, in that order).
 */
export class PresenceOutbox {
  /** Peers this client has been told about (and not told gone since). */
  readonly known = new Set<string>();
  private readonly joined = new Map<string, PeerSummary>();
  private readonly left = new Set<string>();
  private lastSent = Number.NEGATIVE_INFINITY;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;
  /** Frames sent so far (what the join-storm benchmark reads through the metric). */
  frames = 0;

  constructor(private readonly opts: PresenceOutboxOptions) {}

  /** Marks a peer as told (the welcome's list). */
  told(peerId: string): void {
    this.known.add(peerId);
  }

  /**
   * Before any frame from `peerId` is relayed (offer, relay, …): a peer must hear of `peerId`
   * before it hears from it (a late `peer-joined` would reset the sealed session the two have
   * just set up), so a pending batch naming it goes out now, interval or not. A sender it never
   * heard of is announced when `p` describes it. Two lookups when there is nothing to do.
   */
  introduce(peerId: string, p?: PeerSummary): void {
    if (this.closed) return;
    if (!this.joined.has(peerId)) {
      // Unknown and not pending: announce it when we can describe it (a peer of another instance we cannot).
      if (this.known.has(peerId) || !p) return;
      this.joined.set(peerId, p);
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.flush();
  }

  join(p: PeerSummary): void {
    if (this.closed || (this.known.has(p.peerId) && !this.left.has(p.peerId)) || this.joined.has(p.peerId)) return;
    this.joined.set(p.peerId, p);
    this.schedule();
  }

  leave(peerId: string): void {
    if (this.closed) return;
    this.joined.delete(peerId);
    // Only peers it was told about: a leave of a peer it never heard of is noise.
    if (!this.known.delete(peerId)) return;
    this.left.add(peerId);
    this.schedule();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = this.lastSent + this.opts.intervalMs - this.opts.now();
    if (wait <= 0) return this.flush();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
    (this.timer as { unref?: () => void }).unref?.();
  }

  private flush(): void {
    if (this.closed) return;
    const total = this.left.size + this.joined.size;
    if (total === 0) return;
    this.lastSent = this.opts.now();
    this.frames += 1;
    if (total === 1) {
      const [peerId] = this.left;
      if (peerId !== undefined) {
        this.left.clear();
        return this.opts.send({ type: 'peer-left', peerId });
      }
      const [peer] = this.joined.values();
      this.joined.clear();
      this.known.add(peer!.peerId);
      return this.opts.send({ type: 'peer-joined', peer: peer! });
    }
    const left = take(this.left, PRESENCE_MAX_ENTRIES);
    for (const id of left) this.left.delete(id);
    const joined = take(this.joined.values(), PRESENCE_MAX_ENTRIES - left.length);
    for (const p of joined) (this.joined.delete(p.peerId), this.known.add(p.peerId));
    this.opts.send({ type: 'presence', left, joined, meshSize: this.opts.meshSize() });
    if (this.left.size + this.joined.size > 0) this.schedule();
  }
}

function take<T>(items: Iterable<T>, n: number): T[] {
  const out: T[] = [];
  if (n <= 0) return out;
  for (const x of items) {
    out.push(x);
    if (out.length >= n) break;
  }
  return out;
}
