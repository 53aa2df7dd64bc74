import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import * as v from 'valibot';
import { createApiKeyVerifier } from '../server/auth/credentials.ts';
import { createTokenService } from '../server/auth/tokens.ts';
import { loadConfig } from '../server/config.ts';
import { createTabmeshServer, type TabmeshServer } from '../server/create-server.ts';
import { HttpError } from '../server/http/http-error.ts';
import { readJson } from '../server/http/read-json.ts';
import { createLogger } from '../server/ops/logger.ts';
import {
  generateIdentity, identityFromKeys, peerIdForKey, PeerIdSchema, tokenProof, tokenProofText, verifyText, type Identity,
} from '../protocol/index.ts';
import type { BenchContext, BenchResult, BenchRow } from './lib/bench-types.ts';
import { summarize } from './lib/stats.ts';

const KEY = 'bench-token-agent-key-0123456789';
const JWT_SECRET = 'bench-token-jwt-secret-0123456789abcdef';
const PLAIN_PATH = '/bench/plain-token';

/**
 * What `POST /api/token` did before issue 14 for a plain-name id: credential, revocation check,
 * body, JWT; no proof. Mounted on the same app (same middleware, same store) as the baseline, so
 * the difference to the real route is the proof of possession alone.
 */
async function mountPlainIssue(server: TabmeshServer): Promise<void> {
  const verify = await createApiKeyVerifier([{ key: KEY, role: 'agent', mesh: 'default' }]);
  const tokens = createTokenService(JWT_SECRET);
  const body = v.object({ peerId: PeerIdSchema });
  server.app.post(PLAIN_PATH, async (c) => {
    const cred = await verify(c.req.header('x-api-key') ?? '');
    if (!cred) throw new HttpError(401, 'unauthorized', 'unknown API key or device token');
    if (await server.pairing.isRevoked(cred.cid)) throw new HttpError(403, 'revoked', 'credential has been revoked');
    const { peerId } = await readJson(c, body, 4096);
    const issued = await tokens.issue({ sub: peerId, role: cred.role, mesh: cred.mesh, cid: cred.cid });
    return c.json({ ...issued, peerId, role: cred.role, mesh: cred.mesh, verified: false });
  });
}

async function listen(server: TabmeshServer): Promise<{ url: string; http: ServerType }> {
  return new Promise((resolve) => {
    const http = serve({ fetch: server.app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ url: `http://127.0.0.1:${info.port}`, http }));
  });
}

async function p256Identity(): Promise<Identity> {
  const keys = (await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify'])) as CryptoKeyPair;
  return identityFromKeys('ECDSA-P256', keys.privateKey, keys.publicKey);
}

/**
 * `POST /api/token` with proof of possession (what every peer does now: nonce request, sign,
 * token request the server verifies) against the plain token issue it replaced, interleaved in
 * one run on one server; plus the two crypto steps alone (client sign, server verify).
 */
export async function run(ctx: BenchContext): Promise<BenchResult> {
  const n = ctx.quick ? 200 : 2000;
  const warmup = ctx.quick ? 50 : 300;
  const config = loadConfig({ TABMESH_API_KEYS: `agent:${KEY}`, TABMESH_JWT_SECRET: JWT_SECRET, LOG_LEVEL: 'error' });
  const server = await createTabmeshServer({ config, secrets: { apiKeys: config.apiKeys, jwtSecret: JWT_SECRET }, logger: createLogger('error'), sweepIntervalMs: 0 });
  server.setReadiness('ready');
  await mountPlainIssue(server);
  const { url, http } = await listen(server);
  const headers = { 'x-api-key': KEY, 'content-type': 'application/json' };
  const post = async (path: string, body?: unknown): Promise<any> => {
    const res = await fetch(url + path, { method: 'POST', headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = await res.json();
    if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const ed = (await generateIdentity()).identity;
  const p256 = await p256Identity();
  const plainIssue = () => post(PLAIN_PATH, { peerId: 'bench-plain-name' });
  const provenIssue = async (identity: Identity) => {
    const { nonce } = (await post('/api/token/nonce')) as { nonce: string };
    return post('/api/token', { peerId: identity.peerId, identity: await tokenProof(identity, nonce) });
  };
  const samples = { plain: [] as number[], ed25519: [] as number[], p256: [] as number[], sign: [] as number[], verify: [] as number[], signP256: [] as number[], verifyP256: [] as number[] };
  try {
    ctx.log(`warm-up ×${warmup}`);
    for (let i = 0; i < warmup; i++) {
      await plainIssue();
      await provenIssue(ed);
      await provenIssue(p256);
    }
    const time = async (into: number[], fn: () => Promise<unknown>) => {
      const t = performance.now();
      await fn();
      into.push(performance.now() - t);
    };
    // Interleaved, one request in flight: latency of each path under the same conditions.
    for (let i = 0; i < n; i++) {
      if (i % 500 === 0) ctx.log(`${i}/${n}`);
      const paths: Array<[number[], () => Promise<unknown>]> = [[samples.plain, plainIssue], [samples.ed25519, () => provenIssue(ed)], [samples.p256, () => provenIssue(p256)]];
      // The order reversed every other round, so no path always follows the same one.
      for (const [into, fn] of i % 2 ? paths.reverse() : paths) await time(into, fn);
      for (const [id, sign, check] of [[ed, samples.sign, samples.verify], [p256, samples.signP256, samples.verifyP256]] as const) {
        const nonce = `bench-nonce-${i.toString().padStart(8, '0')}`;
        let proof: Awaited<ReturnType<typeof tokenProof>> | undefined;
        await time(sign, async () => (proof = await tokenProof(id, nonce)));
        await time(check, async () => {
          // What the route does with a proof: the id must be the key's hash, the signature must verify.
          if ((await peerIdForKey(proof!.publicKey)) !== id.peerId) throw new Error('id mismatch');
          if (!(await verifyText(proof!.publicKey, tokenProofText(nonce, id.peerId), proof!.signature))) throw new Error('bad signature');
        });
      }
    }
  } finally {
    http.close();
    await server.shutdown();
  }
  const base = summarize(samples.plain);
  const row = (name: string, values: number[], compare: boolean): BenchRow => {
    const s = summarize(values);
    const added = s.p50 - base.p50;
    return {
      case: name, samples: s.count, 'p50 ms': +s.p50.toFixed(3), 'p99 ms': +s.p99.toFixed(3),
      'added p50 ms': compare ? +added.toFixed(3) : '',
      target: compare ? `added p50 ≤ 2 ms: ${added <= 2 ? 'pass' : 'FAIL'}` : '',
    };
  };
  return {
    rows: [
      row('token with proof of possession, Ed25519 (nonce + sign + token)', samples.ed25519, true),
      row('token with proof of possession, ECDSA P-256 (browsers without Ed25519)', samples.p256, true),
      row('baseline: plain token issue (before issue 14, no proof)', samples.plain, false),
      row('  of which: client signs the proof, Ed25519', samples.sign, false),
      row('  of which: server checks key hash + signature, Ed25519', samples.verify, false),
      row('  of which: client signs the proof, P-256', samples.signP256, false),
      row('  of which: server checks key hash + signature, P-256', samples.verifyP256, false),
    ],
    notes: [
      'One real server (createTabmeshServer, in-memory store) over HTTP on loopback in this process; every request is a fetch, one in flight, the three paths interleaved per round, their order reversed every other round.',
      'The baseline is the pre-change plain issue (credential, revocation check, body, JWT) mounted on the same app at a bench-only path, so both share middleware and store.',
      'The proof path is two requests: POST /api/token/nonce, then POST /api/token with the signed nonce; most of what it adds is the second HTTP round trip.',
    ],
    settings: [
      'the server runs in the benchmark process (createTabmeshServer + @hono/node-server), in-memory store (`npm start` uses the embedded store; both paths share the one store), TTL sweeping off (`sweepIntervalMs: 0`)',
      'a bench-only route `POST /bench/plain-token` (the pre-change plain issue) mounted on the same app as the baseline',
    ],
    details: samples,
  };
}
