import { constantTimeEqual, sha256Hex, type Credential } from '../auth/credentials.ts';
import { HttpError } from '../http/http-error.ts';
import type { DeviceView, PairingRequestView, PairingStatus, Role } from '../../protocol/index.ts';
import { INVITE_CODE_PATTERN } from '../../protocol/index.ts';
import type { Store } from '../store/store.ts';
import { randomBase32, randomPairingCode, randomSecret } from './codes.ts';
import { createRedeemLimits, type RedeemLimits } from './redeem-limits.ts';

export interface PairingLimits extends RedeemLimits {
  /** Pairing code lifetime, ms (5 min). */
  codeTtlMs: number;
  /** How long a request waits for approval, ms (1 h). */
  requestTtlMs: number;
}
/** 1000 attempts per code: a guesser's chance against one code over its life is 1000 / 10^6 = 0.1 %. */
export const DEFAULT_PAIRING_LIMITS: PairingLimits = { codeTtlMs: 300_000, perAddressPerMinute: 5, attemptsPerCode: 1000, requestTtlMs: 3_600_000 };

interface CodeRecord { code: string; mesh: string; role: Role; kind: 'code' | 'invite'; autoApprove: boolean; expiresAt: number; createdAt?: number }

/** An outstanding (not yet redeemed, not expired) invite as the admin's list shows it. */
export interface InviteView { code: string; role: Role; autoApprove: boolean; createdAt?: number; expiresAt: number }
/** An outstanding 6-digit CLI pairing code as the admin's list shows it. */
export interface PairingCodeView { code: string; role: Role; createdAt?: number; expiresAt: number }
interface RequestRecord extends PairingRequestView { secretHash: string }
interface DeviceRecord extends DeviceView { tokenHash: string }

export interface PairingService {
  createCode(mesh: string, role: Role): Promise<{ code: string; expiresAt: number }>;
  createInvite(mesh: string, role: Role, autoApprove: boolean, ttlSeconds: number): Promise<{ code: string; expiresAt: number }>;
  /** Invites of `mesh` that can still be redeemed, newest first. */
  listInvites(mesh: string): Promise<InviteView[]>;
  /** Withdraws an outstanding invite so it can no longer be redeemed; 404 when unknown, used or expired. */
  revokeInvite(mesh: string, code: string): Promise<InviteView>;
  /** 6-digit pairing codes of `mesh` that can still be redeemed, newest first. */
  listCodes(mesh: string): Promise<PairingCodeView[]>;
  /** Withdraws an outstanding pairing code so it can no longer be redeemed; 404 when unknown, used or expired. */
  revokeCode(mesh: string, code: string): Promise<PairingCodeView>;
  /** Public: exchanges a code for a pending request; the secret authorises polling for the result. */
  redeem(code: string, name: string, ip: string): Promise<{ requestId: string; secret: string; status: PairingStatus }>;
  /** Public: the request's status; once approved, the device token exactly once (then `delivered`). */
  poll(requestId: string, secret: string, waitMs: number): Promise<{ status: PairingStatus; deviceToken?: string; deviceId?: string; mesh?: string }>;
  listRequests(mesh: string): Promise<PairingRequestView[]>;
  decide(mesh: string, requestId: string, approve: boolean, role?: Role): Promise<PairingRequestView>;
  listDevices(mesh: string): Promise<DeviceView[]>;
  /** Revokes a device: its token stops working and `onRevoke(cid)` kicks live sessions. */
  revoke(mesh: string, deviceId: string): Promise<DeviceView>;
  /** Credential verifier for device tokens (`tmd_<id>_<secret>`). */
  verifyDeviceToken(presented: string): Promise<Credential | undefined>;
  isRevoked(cid: string): Promise<boolean>;
}

const inviteView = (r: CodeRecord): InviteView => ({
  code: r.code, role: r.role, autoApprove: r.autoApprove, expiresAt: r.expiresAt, ...(r.createdAt !== undefined ? { createdAt: r.createdAt } : {}),
});

const codeView = (r: CodeRecord): PairingCodeView => ({
  code: r.code, role: r.role, expiresAt: r.expiresAt, ...(r.createdAt !== undefined ? { createdAt: r.createdAt } : {}),
});
const KIND_WORDS = { invite: 'invite', code: 'pairing code' } as const;

const TOKEN_PATTERN = /^tmd_([A-Za-z0-9]{16})_([A-Za-z0-9_-]{20,64})$/;
/** The longest token lifetime config allows (86,400 s) plus a minute of clock slack. */
const REVOCATION_TTL_MS = 86_400_000 + 60_000;
export const deviceCid = (deviceId: string) => `device-${deviceId}`;

/** Pairing codes, invites, approval and device tokens; tokens are stored only as hashes. */
export function createPairingService(opts: {
  store: Store;
  now: () => number;
  onRevoke: (cid: string) => Promise<void>;
  limits?: Partial<PairingLimits>;
}): PairingService {
  const { store, now } = opts;
  const limits = { ...DEFAULT_PAIRING_LIMITS, ...opts.limits };
  const guard = createRedeemLimits(store, now, limits);
  const strip = ({ secretHash: _s, ...view }: RequestRecord): PairingRequestView => view;
  const stripDevice = ({ tokenHash: _t, ...view }: DeviceRecord): DeviceView => view;
  const changed = (id: string) => store.publish(`pairing:${id}`, 'changed');

  const approve = async (req: RequestRecord, role: Role): Promise<RequestRecord> => {
    const next: RequestRecord = { ...req, status: 'approved', role };
    if (!(await store.swap('pair-req', req.id, req, next, limits.requestTtlMs))) throw new HttpError(409, 'conflict', 'request changed concurrently');
    await changed(req.id);
    return next;
  };

  /** The outstanding codes of one kind, newest first. */
  const outstanding = async (mesh: string, kind: CodeRecord['kind']): Promise<CodeRecord[]> => {
    const t = now();
    return (await store.list<CodeRecord>('pair-code'))
      .filter((r) => r.kind === kind && r.mesh === mesh && r.expiresAt > t)
      .sort((a, b) => b.expiresAt - a.expiresAt);
  };

  /** Deletes an outstanding code of `kind`; a redemption racing this call wins or loses as a whole. */
  const withdraw = async (mesh: string, code: string, kind: CodeRecord['kind']): Promise<CodeRecord> => {
    const record = await store.get<CodeRecord>('pair-code', code);
    if (!record || record.kind !== kind || record.mesh !== mesh || record.expiresAt <= now()) {
      throw new HttpError(404, 'not-found', `no outstanding ${KIND_WORDS[kind]} "${code}" (unknown, already used or expired)`);
    }
    // swap, not delete: a redemption racing this call wins or loses as a whole.
    if (!(await store.swap('pair-code', code, record, undefined))) throw new HttpError(404, 'not-found', `${KIND_WORDS[kind]} "${code}" was used meanwhile`);
    return record;
  };

  return {
    async createCode(mesh, role) {
      for (;;) {
        const code = randomPairingCode();
        const createdAt = now();
        const expiresAt = createdAt + limits.codeTtlMs;
        if (await store.create<CodeRecord>('pair-code', code, { code, mesh, role, kind: 'code', autoApprove: false, expiresAt, createdAt }, limits.codeTtlMs)) {
          return { code, expiresAt };
        }
      }
    },
    async createInvite(mesh, role, autoApprove, ttlSeconds) {
      const code = randomBase32(12);
      const expiresAt = now() + ttlSeconds * 1000;
      await store.put<CodeRecord>('pair-code', code, { code, mesh, role, kind: 'invite', autoApprove, expiresAt, createdAt: now() }, ttlSeconds * 1000);
      return { code, expiresAt };
    },
    listInvites: async (mesh) => (await outstanding(mesh, 'invite')).map(inviteView),
    revokeInvite: async (mesh, code) => inviteView(await withdraw(mesh, code, 'invite')),
    listCodes: async (mesh) => (await outstanding(mesh, 'code')).map(codeView),
    revokeCode: async (mesh, code) => codeView(await withdraw(mesh, code, 'code')),
    async redeem(code, name, ip) {
      await guard.admit(ip);
      const record = await store.get<CodeRecord>('pair-code', code);
      if (!(await guard.charge(code))) throw guard.exhaustedError();
      // Single use: deleting via swap means two devices racing for one code cannot both win.
      if (!record || !(await store.swap('pair-code', code, record, undefined))) {
        if (await guard.exhausted(code)) throw guard.exhaustedError();
        throw new HttpError(404, 'invalid-code', 'this code is unknown, expired or already used');
      }
      const secret = randomSecret();
      const req: RequestRecord = {
        id: crypto.randomUUID(), mesh: record.mesh, name, status: 'pending', role: record.role, createdAt: now(),
        via: INVITE_CODE_PATTERN.test(code) ? 'invite' : 'code', ip, secretHash: await sha256Hex(secret),
      };
      await store.put('pair-req', req.id, req, limits.requestTtlMs);
      const final = record.autoApprove ? await approve(req, record.role) : req;
      return { requestId: req.id, secret, status: final.status };
    },
    async poll(requestId, secret, waitMs) {
      const load = async () => {
        const req = await store.get<RequestRecord>('pair-req', requestId);
        if (!req || !constantTimeEqual(req.secretHash, await sha256Hex(secret))) throw new HttpError(404, 'not-found', 'no such pairing request');
        return req;
      };
      let req = await load();
      if (req.status === 'pending' && waitMs > 0) {
        // Wait for a decision via pub/sub (works across instances), bounded by waitMs.
        let wake!: () => void;
        const woken = new Promise<void>((r) => (wake = r));
        const unsubscribe = await store.subscribe(`pairing:${requestId}`, () => wake());
        const timer = setTimeout(wake, waitMs);
        try {
          req = await load();
          if (req.status === 'pending') {
            await woken;
            req = await load();
          }
        } finally {
          clearTimeout(timer);
          await unsubscribe();
        }
      }
      if (req.status !== 'approved') return { status: req.status };
      const deviceId = randomBase32(16);
      const deviceToken = `tmd_${deviceId}_${randomSecret(24)}`;
      const delivered: RequestRecord = { ...req, status: 'delivered', deviceId };
      // Claim delivery first: of two concurrent polls only one receives the token.
      if (!(await store.swap('pair-req', req.id, req, delivered, limits.requestTtlMs))) return { status: 'delivered' };
      await store.put<DeviceRecord>('devices', deviceId, {
        id: deviceId, mesh: req.mesh, name: req.name, role: req.role, createdAt: now(), tokenHash: await sha256Hex(deviceToken),
      });
      return { status: 'approved', deviceToken, deviceId, mesh: req.mesh };
    },
    async listRequests(mesh) {
      return (await store.list<RequestRecord>('pair-req')).filter((r) => r.mesh === mesh).map(strip).sort((a, b) => b.createdAt - a.createdAt);
    },
    async decide(mesh, requestId, yes, role) {
      const req = await store.get<RequestRecord>('pair-req', requestId);
      if (!req || req.mesh !== mesh) throw new HttpError(404, 'not-found', `no pairing request "${requestId}"`);
      if (req.status !== 'pending') throw new HttpError(409, 'already-decided', `request is already ${req.status}`);
      if (yes) return strip(await approve(req, role ?? req.role));
      const next: RequestRecord = { ...req, status: 'rejected' };
      if (!(await store.swap('pair-req', req.id, req, next, limits.requestTtlMs))) throw new HttpError(409, 'conflict', 'request changed concurrently');
      await changed(req.id);
      return strip(next);
    },
    async listDevices(mesh) {
      return (await store.list<DeviceRecord>('devices')).filter((d) => d.mesh === mesh).map(stripDevice).sort((a, b) => b.createdAt - a.createdAt);
    },
    async revoke(mesh, deviceId) {
      const d = await store.get<DeviceRecord>('devices', deviceId);
      if (!d || d.mesh !== mesh) throw new HttpError(404, 'not-found', `no device "${deviceId}"`);
      const next = { ...d, revokedAt: d.revokedAt ?? now() };
      await store.put('devices', deviceId, next);
      // Only JWTs need this mark (the device record refuses the device token for good); none lives
      // longer than the longest TABMESH_TOKEN_TTL_SECONDS, so the mark expires after that.
      await store.put('revoked', deviceCid(deviceId), true, REVOCATION_TTL_MS);
      await opts.onRevoke(deviceCid(deviceId));
      return stripDevice(next);
    },
    async verifyDeviceToken(presented) {
      const m = TOKEN_PATTERN.exec(presented);
      if (!m) return undefined;
      const d = await store.get<DeviceRecord>('devices', m[1]!);
      if (!d || !constantTimeEqual(d.tokenHash, await sha256Hex(presented))) return undefined;
      // The holder of a revoked token learns it was revoked (not "unknown"), so a client can say
      // so; this reads the device record, not the revocation list, which may expire.
      if (d.revokedAt) throw new HttpError(403, 'revoked', 'credential has been revoked');
      return { cid: deviceCid(d.id), role: d.role, mesh: d.mesh };
    },
    isRevoked: async (cid) => (await store.get<boolean>('revoked', cid)) === true,
  };
}
