import { createTokenBucket } from '../../protocol/token-bucket.ts';

/** What to do with one incoming frame under the rate limit. */
export type Admission =
  | { admit: true }
  /** Drop the frame; `notify` asks for an `error` frame (throttled), `close` for 4429. */
  | { admit: false; notify: boolean; close: boolean };

export interface FrameGate {
  /** Takes one frame against the rate limit. */
  admit(): Admission;
  /** Takes one `relay` frame of `bytes` against the relay byte rate (not the frame rate). */
  admitRelay(bytes: number): Admission;
  /** Records an invalid frame; true once the invalid-frame budget is spent (close 4400). */
  strike(): boolean;
}

/** Invalid frames a socket may send in a burst before 4400, refilled one per `ABUSE_REFILL_MS`. */
export const ABUSE_BURST = 20;
const ABUSE_REFILL_MS = 3000;
// Only the first dropped frame of a run and every 100th after it earn an error frame, so a
// flood cannot make the server write as much as it reads.
const NOTIFY_EVERY = 100;

/**
 * Per-socket frame admission, `ratePerSec` frames/s with a burst of twice that. Dropped frames
 * spend a budget of `4 × ratePerSec` that refills at `ratePerSec / 2` per second: a short burst
 * only loses frames, a client that keeps sending more than ~1.5× the limit is closed (4429).
 * Invalid frames spend a separate budget that decays, so a long-lived client is not closed for
 * a handful of mistakes spread over hours. `relay` frames, when `relay` is given, are admitted
 * by their bytes instead (the fallback tier carries bulk data; a frame count would cap it at
 * `ratePerSec × frame size`); their drops spend the same excess budget. `now` in epoch ms.
 */
export function createFrameGate(ratePerSec: number, now: () => number, relay?: { bytesPerSec: number; maxFrameBytes: number }): FrameGate {
  const frames = createTokenBucket(ratePerSec, ratePerSec * 2, now);
  // A second's worth of relay bytes in a burst, and never less than one whole frame.
  const relayBytes = relay ? createTokenBucket(relay.bytesPerSec, Math.max(relay.bytesPerSec, relay.maxFrameBytes), now) : undefined;
  const excess = createTokenBucket(ratePerSec / 2, ratePerSec * 4, now);
  const abuse = createTokenBucket(1000 / ABUSE_REFILL_MS, ABUSE_BURST, now);
  let run = 0;
  const refuse = (): Admission => {
    run += 1;
    return { admit: false, notify: run === 1 || run % NOTIFY_EVERY === 0, close: !excess.take() };
  };
  return {
    admit() {
      if (!frames.take()) return refuse();
      run = 0;
      return { admit: true };
    },
    admitRelay(bytes) {
      if (!relayBytes) return this.admit();
      if (!relayBytes.take(bytes)) return refuse();
      run = 0;
      return { admit: true };
    },
    strike: () => !abuse.take(),
  };
}
