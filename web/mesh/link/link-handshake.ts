import { decodeJson, encodeJson } from '../channel/framing.ts';
import type { LinkAuthenticator, LinkContext, LinkVerdict } from './link-identity.ts';
import type { Clock } from '../platform.ts';

/**
 * The link proof exchange on one freshly opened DataChannel: send ours first, take the remote's
 * `link-proof` message as its proof, and hold every other message until the verdict and
 * `release()`, so nothing reaches the application from a peer that has not proved itself.
 *
 * Chromium silently drops a send on a channel it just announced through `datachannel` (its
 * network thread still finds the channel not open: "Send failed INVALID_STATE", no exception, no
 * close; docs/development.md). So the end that received the channel (`waitForRemote`) sends its
 * proof only once the remote's first message arrived, which proves the channel open both ways.
 * Any other loss heals too: a side still waiting for the remote's proof re-sends its own, and a
 * side that receives a proof again answers with its own once more (a bounded number of times).
 */
export interface LinkHandshake {
  /** Settles once: the verdict on the remote's proof (`timeout` when none came in time). */
  readonly result: Promise<HandshakeResult>;
  /**
   * Feeds one inbound message (framing removed). True when the handshake took it: a proof (first
   * or repeated), or an application message held until `release()`. False once released, for
   * application messages the caller delivers itself.
   */
  receive(bytes: Uint8Array): boolean;
  /** Stops holding: returns the messages held so far, in order; later ones are the caller's. */
  release(): Uint8Array[];
  /** Settles as `local-error` and stops the timers (connection replaced or closed). */
  cancel(): void;
}

/** The verdict, or `local-error` when this side could not send its own proof. */
export type HandshakeResult = LinkVerdict | { ok: false; reason: 'local-error'; message: string };

/** Failures that refuse the peer; `timeout` and `local-error` only cost this connection (retried later). */
export const refusesPeer = (r: HandshakeResult): r is Extract<LinkVerdict, { ok: false }> => !r.ok && r.reason !== 'timeout' && r.reason !== 'local-error';

/** Messages held while the proof is checked; an honest peer sends none before verifying us. */
const MAX_EARLY = 256;
/** Re-sends of our proof, each way (while waiting, and in answer to a repeated proof). */
const MAX_RESENDS = 3;
/** A proof is a few hundred bytes; anything larger is not one (saves decoding big messages). */
const MAX_PROOF_BYTES = 8192;
/** How our encoder starts every proof; a repeated proof after the verdict is recognised by it. */
const PROOF_PREFIX = new TextEncoder().encode('{"v":1,"type":"link-proof"');

const startsWithProofPrefix = (bytes: Uint8Array): boolean =>
  bytes.length <= MAX_PROOF_BYTES && bytes.length >= PROOF_PREFIX.length && PROOF_PREFIX.every((b, i) => bytes[i] === b);

const isProofShaped = (message: unknown): boolean =>
  typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'link-proof';

/** Starts the exchange: `send` puts bytes on the channel before any application message. */
export function startLinkHandshake(o: {
  auth: LinkAuthenticator;
  ctx: LinkContext;
  send: (bytes: Uint8Array) => Promise<void>;
  clock: Clock;
  /** No proof within this long is a (soft) `timeout` failure, ms. */
  timeoutMs: number;
  /** First re-send of our proof after this long without the remote's, then twice as long each time, ms (default min(250, timeoutMs / 8)). */
  resendAfterMs?: number;
  /** Hold our proof until the remote's first message arrives, or until the first re-send time (the end that did not open the channel). */
  waitForRemote?: boolean;
  /** Settles when the connection's SDPs are both applied; the proof is made after it (default: now). */
  ready?: Promise<void>;
}): LinkHandshake {
  let early: Uint8Array[] | undefined = [];
  let proofSeen = false;
  let resends = 0;
  let answers = 0;
  let settle!: (v: HandshakeResult) => void;
  let settled = false;
  const result = new Promise<HandshakeResult>((resolve) => {
    settle = (v) => {
      if (settled) return;
      settled = true;
      o.clock.clear(timer);
      o.clock.clear(resendTimer);
      resolve(v);
    };
  });
  const timer = o.clock.set(() => settle({ ok: false, reason: 'timeout', message: `no link proof within ${o.timeoutMs} ms` }), o.timeoutMs);

  // Ours goes out before we judge theirs, so a peer we refuse still gets to judge us: with a man in
  // the middle, both ends then see the mismatch instead of one seeing only a timeout.
  const proof = (o.ready ?? Promise.resolve()).then(() => o.auth.prove(o.ctx)).then((p) => encodeJson(p));
  let started = !o.waitForRemote;
  let start = () => undefined as void;
  const mayStart = started ? Promise.resolve() : new Promise<void>((resolve) => (start = resolve));
  const begin = () => {
    if (started) return;
    started = true;
    start();
  };
  const sent = Promise.all([proof, mayStart]).then(([bytes]) => o.send(bytes)).then(
    () => true,
    (err: unknown) => {
      // Our side cannot prove itself (no fingerprint, key gone): the remote would refuse us anyway.
      settle({ ok: false, reason: 'local-error', message: `could not send our link proof: ${err instanceof Error ? err.message : String(err)}` });
      return false;
    },
  );
  const resend = () => void sent.then((ok) => (ok ? proof.then((bytes) => o.send(bytes)) : undefined)).catch(() => undefined);

  // 250, 500, 1000 ms: a lost proof heals fast, a merely slow remote costs at most three extra proofs.
  // A held proof goes out at the first of these instead: the remote's first message was lost.
  const firstResend = o.resendAfterMs ?? Math.min(250, o.timeoutMs / 8);
  let resendTimer = o.clock.set(function again() {
    if (proofSeen || settled || resends >= MAX_RESENDS) return;
    if (started) (resends++, resend());
    else begin();
    resendTimer = o.clock.set(again, firstResend * 2 ** resends);
  }, firstResend);

  function takeProof(message: unknown): void {
    proofSeen = true;
    o.clock.clear(resendTimer);
    void sent
      .then((ok) => (ok ? o.auth.verify(o.ctx, message) : undefined))
      .then((v) => v && settle(v), () => settle({ ok: false, reason: 'malformed', message: 'the link proof could not be checked' }));
  }

  return {
    result,
    receive(bytes) {
      begin();
      if (proofSeen && startsWithProofPrefix(bytes)) {
        // The remote saw no proof from us (ours was lost) and sent its own again: answer once more.
        if (answers++ < MAX_RESENDS) resend();
        return true;
      }
      if (!early) return false;
      if (!proofSeen) {
        const message = bytes.length <= MAX_PROOF_BYTES ? decodeJson(bytes) : undefined;
        if (isProofShaped(message)) return (takeProof(message), true);
      }
      if (early.length >= MAX_EARLY) {
        settle({ ok: false, reason: 'malformed', message: `more than ${MAX_EARLY} messages before the link proof was checked` });
        return true;
      }
      early.push(bytes);
      return true;
    },
    release() {
      const out = early ?? [];
      early = undefined;
      return out;
    },
    cancel() {
      settle({ ok: false, reason: 'local-error', message: 'the connection closed' });
    },
  };
}
