import { createTokenBucket } from '../../server/protocol/token-bucket.ts';
import { MeshError } from './errors.ts';
import type { Clock } from './platform.ts';

/**
 * Paces outbound signaling frames under the server's per-socket rate limit (which closes a
 * socket with 4429 on sustained excess). Negotiation frames go first; relayed mesh traffic
 * (tier 3) waits behind them with a bounded queue and async backpressure.
 */
export interface FramePacer {
  /** Queues a negotiation/control frame (offer, candidate, link-report, ...); never blocks. */
  control(text: string): void;
  /** Queues a relay frame; resolves when written, waits while the queue is full. */
  data(text: string): Promise<void>;
  /** Drops everything queued for good; pending and later `data` calls reject with `err`. */
  reset(err: MeshError): void;
}

/** `write` puts a frame on the socket; `ratePerSec` is what the server allows (we use 80 % of it). */
export function createFramePacer(write: (text: string) => void, ratePerSec: number, clock: Clock, maxData = 256): FramePacer {
  const rate = Math.max(1, ratePerSec * 0.8);
  const bucket = createTokenBucket(rate, Math.max(1, ratePerSec), () => clock.now());
  const control: string[] = [];
  const data: Array<{ text: string; resolve(): void; reject(err: MeshError): void }> = [];
  const waiters: Array<() => void> = [];
  let timer: unknown;
  let dead: MeshError | undefined;

  function pump(): void {
    timer = undefined;
    while (control.length || data.length) {
      if (!bucket.take()) {
        timer = clock.set(pump, Math.ceil(1000 / rate));
        return;
      }
      const c = control.shift();
      if (c !== undefined) {
        write(c);
        continue;
      }
      const d = data.shift()!;
      write(d.text);
      d.resolve();
      waiters.shift()?.();
    }
  }
  const kick = () => {
    if (timer === undefined) pump();
  };

  return {
    control(text) {
      if (dead) return;
      control.push(text);
      kick();
    },
    async data(text) {
      while (!dead && data.length >= maxData) await new Promise<void>((resolve) => waiters.push(resolve));
      if (dead) throw dead;
      return new Promise<void>((resolve, reject) => {
        data.push({ text, resolve, reject });
        kick();
      });
    },
    reset(err) {
      dead = err;
      clock.clear(timer);
      timer = undefined;
      control.length = 0;
      for (const d of data.splice(0)) d.reject(err);
      for (const w of waiters.splice(0)) w();
    },
  };
}
