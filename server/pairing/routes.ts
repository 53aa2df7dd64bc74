import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../http/auth-middleware.ts';
import { HttpError } from '../http/http-error.ts';
import { readJson } from '../http/read-json.ts';
import { ApproveSchema, INVITE_CODE_PATTERN, InviteCreateSchema, PAIRING_CODE_PATTERN, PairingCodeCreateSchema, PairingRedeemSchema } from '../../protocol/index.ts';
import type { PairingService } from './pairing-service.ts';

type Auth = (roles?: Array<'admin' | 'agent'>) => MiddlewareHandler<AuthEnv>;

/** Reads an optional JSON body: an empty body means `{}`. */
async function optionalJson<T>(c: Context, read: () => Promise<T>): Promise<T | Record<string, never>> {
  return c.req.header('content-length') === '0' || !c.req.header('content-type') ? {} : read();
}

/** Pairing codes, invites, public redemption, approval queue, devices and revocation. */
export function mountPairingRoutes(
  api: Hono<AuthEnv>,
  auth: Auth,
  deps: { pairing: PairingService; clientIp: (c: Context) => string; publicUrl: (c: Context) => string },
): void {
  const { pairing } = deps;
  const admin = auth(['admin']);
  const inviteUrl = (c: Context, code: string) => `${deps.publicUrl(c)}/#invite=${code}`;

  api.post('/pairing/codes', admin, async (c) => {
    const body = await optionalJson(c, () => readJson(c, PairingCodeCreateSchema));
    return c.json(await pairing.createCode(c.var.auth.mesh, 'role' in body && body.role ? body.role : 'agent'), 201);
  });
  api.get('/pairing/codes', admin, async (c) => {
    c.header('cache-control', 'no-store');
    return c.json({ codes: await pairing.listCodes(c.var.auth.mesh) });
  });
  api.delete('/pairing/codes/:code', admin, async (c) => {
    const code = c.req.param('code');
    if (!PAIRING_CODE_PATTERN.test(code)) throw new HttpError(400, 'invalid-param', 'code: must be a 6-digit pairing code');
    return c.json({ pairingCode: await pairing.revokeCode(c.var.auth.mesh, code) });
  });
  api.post('/invites', admin, async (c) => {
    const body = await optionalJson(c, () => readJson(c, InviteCreateSchema));
    const b = { autoApprove: false, role: 'agent' as const, ttlSeconds: 86_400, ...body };
    const invite = await pairing.createInvite(c.var.auth.mesh, b.role, b.autoApprove, b.ttlSeconds);
    return c.json({ ...invite, autoApprove: b.autoApprove, url: inviteUrl(c, invite.code) }, 201);
  });
  api.get('/invites', admin, async (c) => {
    const invites = await pairing.listInvites(c.var.auth.mesh);
    c.header('cache-control', 'no-store');
    return c.json({ invites: invites.map((i) => ({ ...i, url: inviteUrl(c, i.code) })) });
  });
  api.delete('/invites/:code', admin, async (c) => {
    const code = c.req.param('code');
    if (!INVITE_CODE_PATTERN.test(code)) throw new HttpError(400, 'invalid-param', 'code: must be a 12-character invite code (A-Z 2-7)');
    return c.json({ invite: await pairing.revokeInvite(c.var.auth.mesh, code) });
  });
  // Public: a device without credentials redeems a code and waits for approval.
  api.post('/pairing/redeem', async (c) => {
    const body = await readJson(c, PairingRedeemSchema, 4096);
    return c.json(await pairing.redeem(body.code, body.name, deps.clientIp(c)), 201);
  });
  api.get('/pairing/requests/:id/status', async (c) => {
    const secret = c.req.header('x-pairing-secret');
    if (!secret) throw new HttpError(401, 'unauthorized', 'missing X-Pairing-Secret header');
    const waitRaw = c.req.query('wait') ?? '0';
    const wait = Number(waitRaw);
    if (!Number.isInteger(wait) || wait < 0 || wait > 30) throw new HttpError(400, 'invalid-query', 'wait: must be an integer from 0 to 30 (seconds)');
    const result = await pairing.poll(c.req.param('id'), secret, wait * 1000);
    // The device token is shown once; make sure no cache keeps it.
    c.header('cache-control', 'no-store');
    return c.json(result);
  });
  api.get('/pairing/requests', admin, async (c) => c.json({ requests: await pairing.listRequests(c.var.auth.mesh) }));
  api.post('/pairing/requests/:id/approve', admin, async (c) => {
    const body = await optionalJson(c, () => readJson(c, ApproveSchema));
    return c.json({ request: await pairing.decide(c.var.auth.mesh, c.req.param('id'), true, 'role' in body ? body.role : undefined) });
  });
  api.post('/pairing/requests/:id/reject', admin, async (c) =>
    c.json({ request: await pairing.decide(c.var.auth.mesh, c.req.param('id'), false) }),
  );
  api.get('/devices', admin, async (c) => c.json({ devices: await pairing.listDevices(c.var.auth.mesh) }));
  api.delete('/devices/:id', admin, async (c) => c.json({ device: await pairing.revoke(c.var.auth.mesh, c.req.param('id')) }));
}
