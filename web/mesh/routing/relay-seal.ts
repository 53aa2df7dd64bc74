import {
  fromBase64, fromBase64Url, sealHelloText, signText, toBase64, validate, verifyText,
  type SealedFrame, type SealHello,
} from '../../../protocol/index.ts';
import { SealedFrameSchema, SealHelloSchema } from '../../../protocol/sealed-relay-schemas.ts';
import { MeshError } from '../errors.ts';
import type { LinkAuthenticator, LinkVerdict } from '../link/link-identity.ts';
import type { Clock } from '../platform.ts';
import { createReplayWindow, type ReplayWindow } from './replay-window.ts';
import { ECDH, type SealKeys } from './seal-keys.ts';

export { createSealKeys, type SealKeys } from './seal-keys.ts';

/**
 * End-to-end protection of the fallback tier (docs/architecture.md "Sealed relay"): the server
 * that relays these frames can neither read, forge, alter nor replay them. One per remote peer.
 */
export interface RelaySeal {
  /** Seals one mesh frame for the remote; waits for the key exchange (rejects after the timeout). */
  seal(frame: Uint8Array): Promise<SealedFrame>;
  /**
   * One inbound relay payload: a sealed frame's bytes, or undefined (a hello, or refused and
   * reported). `overPeers`: it came through other peers, any of whom may have made it up, so a
   * hello that fails the identity check is dropped (`seal-refused`), not held against the peer.
   */
  open(payload: unknown, overPeers?: boolean): Promise<Uint8Array | undefined>;
  /** Forgets the session (the peer rejoined: it has a new ECDH key), unless it was made in the last 2 s (from that new key). */
  reset(): void;
  /** True while a key exchange with a verified peer is in place. */
  readonly verified: boolean;
}

/** Answers to hellos per remote key, and our own unanswered re-sends: bounded both ways. */
const MAX_HELLOS = 4;
/** Sealed frames that came before their key exchange, held at most this many at once (each as long as a key exchange may take). */
const MAX_HELD = 16;
const utf8 = new TextEncoder();

/**
 * A session derived this recently survives `reset()`: it came from the peer's current key. A
 * joiner's hello over peers can beat the presence frame that tells us it joined (the server
 * batches presence for up to 500 ms), and forgetting that session would drop the negotiation it
 * carries (the welcome links a joiner negotiates over peers).
 */
const FRESH_SESSION_MS = 2000;

/** The AES-GCM nonce of frame `n` in direction `dir` (its first byte keeps the directions apart). */
function nonce(dir: number, n: number): Uint8Array<ArrayBuffer> {
  const iv = new Uint8Array(12);
  const view = new DataView(iv.buffer);
  view.setUint8(0, dir);
  view.setUint32(4, Math.floor(n / 2 ** 32));
  view.setUint32(8, n >>> 0);
  return iv;
}

interface Session {
  at: number;
  remoteEcdh: string;
  key: CryptoKey;
  nextN: number;
  seen: ReplayWindow;
}

/** What a seal for `remoteId` needs; `sendHello` puts a hello in a `relay` frame to it. */
export interface RelaySealOptions {
  localId: string;
  remoteId: string;
  auth: LinkAuthenticator;
  keys: SealKeys;
  clock: Clock;
  sendHello: (hello: SealHello) => Promise<void>;
  /** The remote's hello verified and a new session key is in place (identity checked like a link proof's). */
  onVerified?: (verdict: Extract<LinkVerdict, { ok: true }>) => void;
  /** A refused hello or frame (the server or someone else tampered): reported, never delivered. */
  onProblem: (code: 'seal-refused' | 'identity-failed', message: string, verdict?: LinkVerdict) => void;
  /** Waiting for the remote's hello this long fails `seal`, ms (default 5000). */
  timeoutMs?: number;
}

/** Creates the seal for `remoteId`; `sendHello` puts a hello in a `relay` frame to it. */
export function createRelaySeal(o: RelaySealOptions): RelaySeal {
  const timeoutMs = o.timeoutMs ?? 5000;
  // Both directions share the key; the first nonce byte keeps their nonces apart.
  const outDir = o.localId < o.remoteId ? 0 : 1;
  const aadOut = utf8.encode(`${o.localId}>${o.remoteId}`);
  const aadIn = utf8.encode(`${o.remoteId}>${o.localId}`);
  let session: Session | undefined;
  let helloSent = false;
  let answered = 0;
  let waiters: Array<(s: Session) => void> = [];
  let afterHellos: Promise<unknown> = Promise.resolve();
  let held = 0;

  async function hello(reply: boolean): Promise<void> {
    helloSent = true;
    const [identity, keys] = await Promise.all([o.auth.identity(), o.keys.get()]);
    const signature = await signText(identity, sealHelloText(o.localId, o.remoteId, keys.raw));
    await o.sendHello({ v: 1, type: 'seal-hello', from: o.localId, to: o.remoteId, payload: { identity: identity.publicIdentity, ecdh: keys.raw, reply, signature } });
  }
  const sayHello = (reply: boolean) => void hello(reply).catch(() => undefined);

  let pending: Promise<Session> | undefined;
  function ready(): Promise<Session> {
    if (session) return Promise.resolve(session);
    return (pending ??= new Promise<Session>((resolve, reject) => {
      let tries = 0;
      let timer: unknown;
      waiters.push((s) => (o.clock.clear(timer), (pending = undefined), resolve(s)));
      // The remote may not have heard a hello (it was not routed yet, or lost): repeat it.
      const again = () => {
        if (tries++ >= MAX_HELLOS) {
          waiters = [];
          pending = undefined;
          return reject(new MeshError('unreachable', `no key exchange with "${o.remoteId}" over the server within ${timeoutMs} ms`, { peerId: o.remoteId }));
        }
        sayHello(false);
        timer = o.clock.set(again, timeoutMs / MAX_HELLOS);
      };
      again();
    }));
  }

  async function derive(remoteEcdh: string): Promise<Session> {
    const own = await o.keys.get();
    const remote = await crypto.subtle.importKey('raw', fromBase64Url(remoteEcdh), ECDH, false, []);
    const secret = await crypto.subtle.deriveBits({ name: 'ECDH', public: remote }, own.privateKey, 256);
    const hkdf = await crypto.subtle.importKey('raw', secret, 'HKDF', false, ['deriveKey']);
    const [lo, hi] = [o.localId, o.remoteId].sort();
    const pubs = [own.raw, remoteEcdh].sort();
    const info = utf8.encode(`${lo}:${hi}:${pubs[0]}:${pubs[1]}`);
    const key = await crypto.subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: utf8.encode('tabmesh-seal-v1'), info }, hkdf, { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
    return { at: o.clock.now(), remoteEcdh, key, nextN: 0, seen: createReplayWindow() };
  }

  async function onHello(payload: unknown, overPeers: boolean): Promise<void> {
    const checked = validate(SealHelloSchema, payload);
    if (!checked.ok) return o.onProblem('seal-refused', `malformed seal-hello (${checked.message})`);
    const h = checked.value;
    if (h.from !== o.remoteId || h.to !== o.localId) return o.onProblem('seal-refused', `a seal-hello from "${h.from}" to "${h.to}" arrived as from "${o.remoteId}"`);
    // The signature first: checkIdentity pins a first-contact key, and only a key that signed may be pinned.
    if (!(await verifyText(h.payload.identity, sealHelloText(h.from, h.to, h.payload.ecdh), h.payload.signature))) {
      return o.onProblem('seal-refused', 'seal-hello signature does not verify with the key it presents');
    }
    const verdict = await o.auth.checkIdentity(o.remoteId, h.payload.identity);
    if (!verdict.ok && overPeers) return o.onProblem('seal-refused', `seal-hello carried by other peers refused (${verdict.reason}); dropped`);
    if (!verdict.ok) return o.onProblem('identity-failed', `seal-hello refused (${verdict.reason}): ${verdict.message}`, verdict);
    if (session?.remoteEcdh !== h.payload.ecdh) {
      session = await derive(h.payload.ecdh);
      answered = 0;
      o.onVerified?.(verdict);
      for (const wake of waiters.splice(0)) wake(session);
    }
    // Answer unless this already answers ours; bounded, so two ends never ping-pong.
    if ((!h.payload.reply || !helloSent) && answered++ < MAX_HELLOS) sayHello(true);
  }

  return {
    async seal(frame) {
      const s = await ready();
      const n = s.nextN++;
      const c = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonce(outDir, n), additionalData: aadOut }, s.key, frame as Uint8Array<ArrayBuffer>);
      return { v: 1, type: 'sealed', n, c: toBase64(new Uint8Array(c)) };
    },
    open(payload, overPeers = false) {
      // A hello is checked and its key derived over several awaits; a sealed frame right behind it
      // (its sender had the session at once) waits for that key instead of being dropped as
      // "without a key exchange". Sealed frames alone still open side by side.
      if ((payload as { type?: unknown } | null)?.type === 'seal-hello') {
        const run = afterHellos.then(() => onHello(payload, overPeers));
        afterHellos = run.catch(() => undefined);
        return run.then(() => undefined);
      }
      return afterHellos.then(() => openSealed(payload));
    },
    get verified() {
      return session !== undefined;
    },
    reset() {
      if (session && o.clock.now() - session.at < FRESH_SESSION_MS) return;
      session = undefined;
      helloSent = false;
      answered = 0;
    },
  };

  /**
   * A sealed frame with no session yet: its hello may still be on its way by another path (over
   * the server while this came over peers), or the sender holds a session we lost (we restarted;
   * our hello lets it derive a new one). Held for a session as long as our own side waits for a
   * key exchange (`timeoutMs`), a few at a time.
   */
  async function heldForHello(): Promise<Session | undefined> {
    if (answered++ < MAX_HELLOS) sayHello(false);
    if (held >= MAX_HELD) return undefined;
    held++;
    try {
      return await new Promise<Session | undefined>((resolve) => {
        const wake = (s: Session) => (o.clock.clear(timer), resolve(s));
        // After a stall (a busy tab or process) timers run before the input that queued meanwhile:
        // give that input one more turn, or the hello already waiting there would come too late.
        const giveUp = () => ((waiters = waiters.filter((w) => w !== wake)), resolve(undefined));
        const timer = o.clock.set(() => o.clock.set(giveUp, 0), timeoutMs);
        waiters.push(wake);
      });
    } finally {
      held--;
    }
  }

  async function openSealed(payload: unknown): Promise<Uint8Array | undefined> {
    const checked = validate(SealedFrameSchema, payload);
    if (!checked.ok) return void o.onProblem('seal-refused', `relayed payload is not a sealed frame (${checked.message}); dropped`);
    const s = session ?? (await heldForHello());
    if (!s) return void o.onProblem('seal-refused', 'sealed frame without a key exchange; dropped');
    const { n, c } = checked.value;
    if (!s.seen.fresh(n)) return void o.onProblem('seal-refused', `sealed frame ${n} replayed or too old; dropped`);
    const bytes = fromBase64(c);
    try {
      if (!bytes) throw new Error('not base64');
      const plain = new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: nonce(1 - outDir, n), additionalData: aadIn }, s.key, bytes));
      s.seen.mark(n);
      return plain;
    } catch {
      return void o.onProblem('seal-refused', `sealed frame ${n} does not decrypt (altered, or sealed for another session); dropped`);
    }
  }
}
