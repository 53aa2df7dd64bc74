import { createTokenBucket } from '../../../protocol/token-bucket.ts';
import { MeshError } from '../errors.ts';
import type { Clock } from '../platform.ts';

/**
 * Paces outbound signaling frames under the server's per-socket limits (which close a socket
 * with 4429 on sustained excess): negotiation frames under the frame rate, relayed mesh traffic
 * (tier 3) under the relay byte rate, with a bounded queue and async backpressure.
 */
export interface FramePacer {
  /** Queues a negotiation/control frame (offer, candidate, link-report, ...); never blocks. */
  control(text: string): void;
  /** Queues a relay frame; resolves when written, waits while the queue is full. */
  data(text: string): Promise<void>;
  /** Drops everything queued for good; pending and later `data` calls reject with `err`. */
  reset(err: MeshError): void;
}

/** What the server allows one socket: frames per second, and (newer servers) relay bytes per second. */
export interface PacerLimits {
  ratePerSec: number;
  /** Absent (an older server): relay frames share the frame rate, behind control frames. */
  relayBytesPerSec?: number;
  maxFrameBytes: number;
}

/** `write` puts a frame on the socket; we use 80 % of what the server allows. */
export function createFramePacer(write: (text: string) => void, limits: PacerLimits, clock: Clock, maxData = 256): FramePacer {
  const rate = Math.max(1, limits.ratePerSec * 0.8);
  const frames = createTokenBucket(rate, Math.max(1, limits.ratePerSec), () => clock.now());
  const byteRate = limits.relayBytesPerSec === undefined ? undefined : Math.max(1, limits.relayBytesPerSec * 0.8);
  // Relay text is sealed base64 (ASCII), so its length is its UTF-8 size.
  const bytes = byteRate === undefined ? undefined : createTokenBucket(byteRate, Math.max(byteRate, limits.maxFrameBytes), () => clock.now());
  const control: string[] = [];
  const data: Array<{ text: string; resolve(): void; reject(err: MeshError): void }> = [];
  const waiters: Array<() => void> = [];
  let timer: unknown;
  let dead: MeshError | undefined;

  /** Sends what the buckets allow; control frames first, relay frames on their own byte budget when the server has one. */
  function pump(): void {
    timer = undefined;
    let wait = Infinity;
    while (control.length || data.length) {
      if (control.length) {
        if (frames.take()) {
          write(control.shift()!);
          continue;
        }
        wait = Math.ceil(1000 / rate);
        // Without a byte budget, relay frames share the frame rate and wait behind control frames.
        if (!bytes) break;
      }
      const d = data[0];
      if (!d) break;
      if (bytes ? bytes.take(d.text.length) : frames.take()) {
        data.shift();
        write(d.text);
        d.resolve();
        waiters.shift()?.();
        continue;
      }
      wait = Math.min(wait, bytes ? bytes.waitFor(d.text.length) : Math.ceil(1000 / rate));
      break;
    }
    if (control.length || data.length) timer = clock.set(pump, Math.max(1, wait));
  }
  const kick = () => {
    if (timer === undefined) pump();
  };

  return {
    control(text) {
      if (dead) return;
      control.push(text);
      // Relay bytes may be waiting on their own budget: a control frame need not wait with them.
      if (bytes && timer !== undefined && control.length === 1) {
        clock.clear(timer);
        timer = undefined;
      }
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
