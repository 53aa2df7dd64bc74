import { decodeJson, encodeJson } from './framing.ts';
import type { LinkAuthenticator, LinkContext, LinkVerdict } from './link-identity.ts';
import type { Clock } from './platform.ts';

/**
 * The link proof exchange on one freshly opened DataChannel: send ours first, take the remote's
 * first message as its proof, and hold every later message until the verdict, so nothing reaches
 * the application from a peer that has not proved itself.
 */
export interface LinkHandshake {
  /** Settles once: the verdict on the remote's proof (`timeout` when none came in time). */
  readonly result: Promise<HandshakeResult>;
  /** Feeds one inbound message (framing removed) that arrived while unverified. */
  receive(bytes: Uint8Array): void;
  /** Messages that arrived after the proof, in order; the caller delivers them once verified. */
  drain(): Uint8Array[];
  /** Settles as `local-error` and stops the timer (connection replaced or closed). */
  cancel(): void;
}

/** The verdict, or `local-error` when this side could not send its own proof. */
export type HandshakeResult = LinkVerdict | { ok: false; reason: 'local-error'; message: string };

/** Failures that refuse the peer; `timeout` and `local-error` only cost this connection (retried later). */
export const refusesPeer = (r: HandshakeResult): r is Extract<LinkVerdict, { ok: false }> => !r.ok && r.reason !== 'timeout' && r.reason !== 'local-error';

/** Messages held while the proof is checked; an honest peer sends none before verifying us. */
const MAX_EARLY = 256;

/** Starts the exchange: `send` puts bytes on the channel before any application message. */
export function startLinkHandshake(o: {
  auth: LinkAuthenticator;
  ctx: LinkContext;
  send: (bytes: Uint8Array) => Promise<void>;
  clock: Clock;
  /** No proof within this long is a (soft) `timeout` failure, ms. */
  timeoutMs: number;
}): LinkHandshake {
  let early: Uint8Array[] = [];
  let proofSeen = false;
  let settle!: (v: HandshakeResult) => void;
  let settled = false;
  const result = new Promise<HandshakeResult>((resolve) => {
    settle = (v) => {
      if (settled) return;
      settled = true;
      o.clock.clear(timer);
      resolve(v);
    };
  });
  const timer = o.clock.set(() => settle({ ok: false, reason: 'timeout', message: `no link proof within ${o.timeoutMs} ms` }), o.timeoutMs);

  // Ours goes out before we judge theirs, so a peer we refuse still gets to judge us: with a man in
  // the middle, both ends then see the mismatch instead of one seeing only a timeout.
  const sent = o.auth.prove(o.ctx).then((proof) => o.send(encodeJson(proof))).then(
    () => true,
    (err: unknown) => {
      // Our side cannot prove itself (no fingerprint, key gone): the remote would refuse us anyway.
      settle({ ok: false, reason: 'local-error', message: `could not send our link proof: ${err instanceof Error ? err.message : String(err)}` });
      return false;
    },
  );

  return {
    result,
    receive(bytes) {
      if (!proofSeen) {
        proofSeen = true;
        const message = decodeJson(bytes);
        void sent
          .then((ok) => (ok ? o.auth.verify(o.ctx, message) : undefined))
          .then((v) => v && settle(v), () => settle({ ok: false, reason: 'malformed', message: 'the link proof could not be checked' }));
        return;
      }
      if (!settled && early.length >= MAX_EARLY) {
        return settle({ ok: false, reason: 'malformed', message: `more than ${MAX_EARLY} messages before the link proof was checked` });
      }
      early.push(bytes);
    },
    drain() {
      const out = early;
      early = [];
      return out;
    },
    cancel() {
      settle({ ok: false, reason: 'local-error', message: 'the connection closed' });
    },
  };
}
