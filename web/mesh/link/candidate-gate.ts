/**
 * Holds ICE candidates until each direction may use them.
 *
 * Outbound: on node-datachannel (`platform.holdCandidatesUntilAnswer`) the offerer keeps its local
 * candidates until the answer is applied; elsewhere they go right after the offer. The race
 * (measured ~2 in 80 naive loopback connections): libjuice reports ICE connected on a check the
 * remote started before this side applied the answer, DTLS then checks the peer's certificate
 * against a fingerprint not yet set, and the connection dies with "certificate verify failed".
 * The answerer keeps its candidates until its answer is sent, so they never overtake it; when the
 * offer allows it, its answer carries the ones gathered by then (`take`), one frame fewer per link.
 * Node's RTCPeerConnection keeps an offerer's candidates past the answer while they gain nothing
 * (headless-node/offerer-candidate-hold.ts): this gate then simply has none to send.
 *
 * Inbound: remote candidates wait for the remote description (stacks reject them before it).
 */
export interface CandidateGate<L, R> {
  local(candidate: L): void;
  remote(candidate: R): void;
  /** Local candidates may go out now (answer applied / answer sent); flushes the held ones. */
  openLocal(): void;
  /** The remote description is set; flushes the queued remote candidates. */
  openRemote(): void;
  /**
   * Up to `max` held local candidates, removed from the gate, once one is held or after `ms`:
   * for the answer to carry them. The direction stays closed (`openLocal` sends the rest).
   */
  take(max: number, ms: number): Promise<L[]>;
  /** Closes both directions again (a new negotiation round, e.g. an ICE restart). */
  close(): void;
  readonly remoteOpen: boolean;
}

const MAX_HELD = 64;

/**
 * `send` emits a local candidate to the peer, `apply` adds a remote one to the connection;
 * `sendBatch`, when given, emits the candidates held until `openLocal` together (they would have
 * left at the same moment anyway, so one frame costs the server less and delays nothing).
 */
export function createCandidateGate<L, R>(send: (c: L) => void, apply: (c: R) => void, sendBatch?: (cs: L[]) => void): CandidateGate<L, R> {
  let localOpen = false;
  let remoteOpen = false;
  const held: L[] = [];
  const queued: R[] = [];
  let wake: (() => void) | undefined;
  return {
    local(c) {
      if (localOpen) send(c);
      else if (held.length < MAX_HELD) held.push(c), wake?.();
    },
    remote(c) {
      if (remoteOpen) apply(c);
      else if (queued.length < MAX_HELD) queued.push(c);
    },
    openLocal() {
      localOpen = true;
      const batch = held.splice(0);
      if (batch.length > 1 && sendBatch) sendBatch(batch);
      else for (const c of batch) send(c);
    },
    openRemote() {
      remoteOpen = true;
      for (const c of queued.splice(0)) apply(c);
    },
    async take(max, ms) {
      if (!held.length) {
        await new Promise<void>((r) => {
          const timer = setTimeout(r, ms);
          // A pending timer would keep a Node process that is done alive for up to `ms`.
          wake = () => (clearTimeout(timer), r());
        });
      }
      wake = undefined;
      return held.splice(0, max);
    },
    close() {
      localOpen = remoteOpen = false;
    },
    get remoteOpen() {
      return remoteOpen;
    },
  };
}
