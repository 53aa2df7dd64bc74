import {
  generateIdentity, KEY_PEER_ID_PATTERN, LinkProofSchema, linkProofText, peerIdForKey, sdpFingerprint, signText, validate, verifyText,
  type Identity, type IdentityFailureReason, type LinkProof, type PublicIdentity,
} from '../../../protocol/index.ts';

/**
 * Peer identity on DataChannels: builds this peer's link proof and checks the remote's
 * (docs/architecture.md "Peer identity"). Platform-neutral: WebCrypto plus an injected pin store.
 */

/** Keys of peers this peer has talked to (browser: IndexedDB; Node: a 0600 file; default: memory). */
export interface PinStore {
  /** The key pinned for `peerId`, if any. */
  get(peerId: string): Promise<PublicIdentity | undefined>;
  /** Pins `identity` for `peerId` (replacing an older pin). */
  set(peerId: string, identity: PublicIdentity): Promise<void>;
}

/** What a pinned id showing another key does: refuse the peer (default) or warn and re-pin. */
export type PinPolicy = 'refuse' | 'warn';

/** The connection a proof is about: both peer ids and both SDPs (for the DTLS fingerprints). */
export interface LinkContext {
  localId: string;
  remoteId: string;
  localSdp: string | undefined;
  remoteSdp: string | undefined;
}

export type LinkVerdict =
  | {
    ok: true;
    identity: PublicIdentity;
    /** The peer id is a hash of this key (`k…`), so nobody else can claim it. */
    keyDerived: boolean;
    /** `new`: first contact (now pinned); `known`: matches the pin; `changed`: another key than pinned (policy `warn`). */
    pin: 'new' | 'known' | 'changed';
  }
  | { ok: false; reason: IdentityFailureReason; message: string };

export interface LinkAuthenticator {
  /** This peer's public identity (resolves once the key exists). */
  identity(): Promise<Identity>;
  /** This peer's signed statement for the connection; throws when the local SDP has no fingerprint. */
  prove(ctx: LinkContext): Promise<LinkProof>;
  /** Checks the remote's first message on the connection; never throws. */
  verify(ctx: LinkContext, message: unknown): Promise<LinkVerdict>;
  /** Checks that `identity` may speak for `peerId` (key-derived id, pin) and pins it; call it only for a key that just signed. Never throws. */
  checkIdentity(peerId: string, identity: PublicIdentity): Promise<LinkVerdict>;
}

export interface LinkAuthenticatorOptions {
  /** This peer's key; a fresh non-extractable one (for this mesh object's life) when absent. */
  identity?: Identity | Promise<Identity>;
  /** Default: an in-memory store (pins last as long as the mesh object). */
  pins?: PinStore;
  /** Default `refuse`. Key-derived ids are always refused on a mismatch (the id cannot match anyway). */
  pinPolicy?: PinPolicy;
}

/** An in-memory pin store (at most `max` peers, default 4096; the oldest pin goes first). */
export function createMemoryPinStore(max = 4096): PinStore {
  const pins = new Map<string, PublicIdentity>();
  return {
    get: async (peerId) => pins.get(peerId),
    async set(peerId, identity) {
      pins.delete(peerId);
      pins.set(peerId, { alg: identity.alg, key: identity.key });
      if (pins.size > max) pins.delete(pins.keys().next().value!);
    },
  };
}

const short = (fp: string) => `${fp.slice(0, 20)}…`;
/** A key-derived id (`k…`) must be the hash of the key; plain names are bound by pins only. */
const keyMatchesId = async (peerId: string, identity: PublicIdentity) => !KEY_PEER_ID_PATTERN.test(peerId) || (await peerIdForKey(identity)) === peerId;
const idMismatch = (peerId: string): LinkVerdict => ({ ok: false, reason: 'id-mismatch', message: `the key presented does not hash to "${peerId}": another peer answered in its name` });
const sameKey = (a: PublicIdentity, b: PublicIdentity) => a.alg === b.alg && a.key === b.key;

/** Creates the authenticator the mesh gives every PeerLink. */
export function createLinkAuthenticator(o: LinkAuthenticatorOptions = {}): LinkAuthenticator {
  const pins = o.pins ?? createMemoryPinStore();
  // Made now, not on the first DataChannel, so key generation never adds to a connection's setup.
  const own = o.identity ? Promise.resolve(o.identity) : generateIdentity(false).then((g) => g.identity);
  own.catch(() => undefined);
  const identity = () => own;

  const fingerprints = (ctx: LinkContext) => ({
    local: ctx.localSdp === undefined ? undefined : sdpFingerprint(ctx.localSdp),
    remote: ctx.remoteSdp === undefined ? undefined : sdpFingerprint(ctx.remoteSdp),
  });

  async function checkPin(peerId: string, presented: PublicIdentity, keyDerived: boolean): Promise<LinkVerdict> {
    let pinned: PublicIdentity | undefined;
    try {
      pinned = await pins.get(peerId);
    } catch {
      // A broken store must not cut the mesh off; the id and fingerprint checks still hold.
      return { ok: true, identity: presented, keyDerived, pin: 'new' };
    }
    if (pinned && !sameKey(pinned, presented) && (keyDerived || (o.pinPolicy ?? 'refuse') === 'refuse')) {
      return { ok: false, reason: 'pin-mismatch', message: `peer "${peerId}" is known with another key; it presented a different one (delete its pin if the device really changed)` };
    }
    const pin = !pinned ? 'new' : sameKey(pinned, presented) ? 'known' : 'changed';
    if (pin !== 'known') await pins.set(peerId, presented).catch(() => undefined);
    return { ok: true, identity: presented, keyDerived, pin };
  }

  return {
    identity,
    async prove(ctx) {
      const id = await identity();
      const fp = fingerprints(ctx);
      if (!fp.local || !fp.remote) throw new Error('this connection\'s SDP has no a=fingerprint line');
      const signature = await signText(id, linkProofText({ signer: ctx.localId, other: ctx.remoteId, signerFingerprint: fp.local, otherFingerprint: fp.remote }));
      return { v: 1, type: 'link-proof', from: ctx.localId, to: ctx.remoteId, payload: { identity: id.publicIdentity, fingerprints: { from: fp.local, to: fp.remote }, signature } };
    },
    async verify(ctx, message) {
      const checked = validate(LinkProofSchema, message);
      if (!checked.ok) return { ok: false, reason: 'malformed', message: `the first DataChannel message is not a link proof (${checked.message})` };
      const proof = checked.value;
      if (proof.from !== ctx.remoteId || proof.to !== ctx.localId) {
        return { ok: false, reason: 'wrong-peer', message: `the link proof is from "${proof.from}" to "${proof.to}", not from "${ctx.remoteId}" to "${ctx.localId}"` };
      }
      if (!(await keyMatchesId(ctx.remoteId, proof.payload.identity))) return idMismatch(ctx.remoteId);
      const fp = fingerprints(ctx);
      const claimed = proof.payload.fingerprints;
      if (!fp.local || !fp.remote || claimed.from !== fp.remote || claimed.to !== fp.local) {
        return {
          ok: false, reason: 'fingerprint-mismatch',
          message: `the DTLS fingerprints differ: the peer signed ${short(claimed.from)} ↔ ${short(claimed.to)}, this connection has ${short(fp.remote ?? 'none')} ↔ ${short(fp.local ?? 'none')}: someone is in the middle`,
        };
      }
      const text = linkProofText({ signer: proof.from, other: proof.to, signerFingerprint: claimed.from, otherFingerprint: claimed.to });
      if (!(await verifyText(proof.payload.identity, text, proof.payload.signature))) {
        return { ok: false, reason: 'bad-signature', message: 'the link proof signature does not verify with the key it presents' };
      }
      return checkPin(ctx.remoteId, proof.payload.identity, KEY_PEER_ID_PATTERN.test(ctx.remoteId));
    },
    async checkIdentity(peerId, presented) {
      if (!(await keyMatchesId(peerId, presented).catch(() => false))) return idMismatch(peerId);
      return checkPin(peerId, presented, KEY_PEER_ID_PATTERN.test(peerId));
    },
  };
}
