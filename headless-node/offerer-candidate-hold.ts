/**
 * How long an offerer whose answerer named only host addresses keeps its own candidates, ms.
 * Measured in the link-cpu growing mesh (20 peers sharing one core): DataChannels opened ~140 ms
 * after the answer was applied, every answerer's before our candidates would have reached it.
 */
export const OFFERER_HOLD_MS = 250;

/** A host candidate with an IP address (an mDNS `.local` name is one we cannot check). */
export const isDirectHost = (candidate: string) => / typ host( |$)/.test(candidate) && !/\.local /.test(candidate);

export interface CandidateHoldOptions {
  /** Hands a held `icecandidate` event on to the mesh core. */
  emit(event: Event): void;
  /** The connection's ICE state now. */
  iceState(): string;
  /** Default: setTimeout, unref'd (a hold never keeps a process alive). */
  setTimer?(fn: () => void, ms: number): () => void;
}

/**
 * The local ICE candidates of one node-datachannel connection, held past the answer while they
 * gain nothing. The mesh core already holds an offerer's candidates until the answer is applied
 * (the DTLS race, web/mesh/link/candidate-gate.ts); this goes one step further, on Node only.
 * When the answer named only host addresses, our checks reach the answerer directly and it learns
 * our address from them (peer-reflexive), so on a LAN, on loopback or between public hosts our
 * candidate frame is one server frame (or routed message) per link for nothing. They go when they
 * may help: at once if the answerer names anything else (server-reflexive, relay, mDNS: behind a
 * NAT it must send first), if the answer named none, or if ICE has not connected `OFFERER_HOLD_MS`
 * after the answer; once connected they are dropped. An answerer's candidates are never held.
 */
export class OffererCandidateHold {
  /** Held events; `pass`: they go straight on (released, an answerer, closed); `drop`: connected, none ever goes. */
  private held: Event[] | 'pass' | 'drop' = [];
  private remotes = 0;
  private cancel: (() => void) | undefined;

  constructor(private readonly o: CandidateHoldOptions) {}

  /** A local candidate event: true when it is held (or dropped) here instead of dispatched. */
  take(event: Event): boolean {
    if (this.held === 'pass') return false;
    if (this.held !== 'drop') this.held.push(event);
    return true;
  }

  /** A remote description was applied: an offer makes us the answerer, an answer starts the decision. */
  described(type: string | undefined): void {
    if (type !== 'answer') return this.release();
    // The core adds the answer's candidates right after applying it, in the same turn.
    this.cancel = this.timer(() => {
      if (!this.remotes) return this.release();
      this.cancel = this.timer(() => (/^(connected|completed)$/.test(this.o.iceState()) ? this.drop() : this.release()), OFFERER_HOLD_MS);
    }, 0);
  }

  /** A remote candidate is about to be added. */
  remote(candidate: string | undefined): void {
    if (!candidate || !Array.isArray(this.held)) return;
    this.remotes++;
    if (!isDirectHost(candidate)) this.release();
  }

  close(): void {
    this.cancel?.();
    if (this.held !== 'drop') this.held = 'pass';
  }

  private release(): void {
    this.cancel?.();
    const held = this.held;
    this.held = 'pass';
    if (Array.isArray(held)) for (const e of held) this.o.emit(e);
  }

  private drop(): void {
    this.held = 'drop';
  }

  private timer(fn: () => void, ms: number): () => void {
    if (this.o.setTimer) return this.o.setTimer(fn, ms);
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  }
}
