import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchUrlSkill } from '../../headless-node/skills/fetch-url.ts';
import { isNonPublicAddress } from '../../headless-node/skills/address-guard.ts';
import { SkillError } from '../../web/mesh/agent-host.ts';
import { runSkill } from '../../web/agents/skills/run-skill.ts';

let server: Server;
let base: string;
const stalled = new Set<ServerResponse>();
const BIG = 'x'.repeat(2000);

beforeAll(async () => {
  server = createServer((req, res) => {
    const routes: Record<string, () => void> = {
      '/text': () => res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('hello from the LAN'),
      '/bin': () => res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(Buffer.from([0, 1, 2, 255])),
      '/big': () => res.writeHead(200, { 'content-type': 'text/plain' }).end(BIG),
      '/redirect': () => res.writeHead(302, { location: '/text' }).end(),
      '/to-file': () => res.writeHead(302, { location: 'file:///etc/passwd' }).end(),
      '/loop': () => res.writeHead(301, { location: '/loop' }).end(),
      '/slow': () => void stalled.add(res),
    };
    (routes[req.url ?? ''] ?? (() => res.writeHead(404).end()))();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const res of stalled) res.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const allow = { TABMESH_FETCH_ALLOW_PRIVATE: '1' };
const fetchUrl = (input: unknown, env: Record<string, string> = allow) =>
  runSkill(fetchUrlSkill, input, { signal: new AbortController().signal, env });
const failure = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as SkillError;

describe('fetch-url skill', () => {
  it('refuses loopback and private targets unless the host allows them', async () => {
    const literal = await failure(fetchUrl({ url: `${base}/text` }, {}));
    expect(literal.code).toBe('forbidden-address');
    expect(literal.message).toBe('fetch-url: 127.0.0.1 is a non-public address; the hosting peer allows it with TABMESH_FETCH_ALLOW_PRIVATE=1');
    const named = await failure(fetchUrl({ url: base.replace('127.0.0.1', 'localhost') + '/text' }, {}));
    expect(named.code).toBe('forbidden-address');
    expect(named.message).toMatch(/^fetch-url: localhost resolves to non-public address/);
  });

  it('classifies addresses', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '192.168.0.1', '172.20.0.1', '169.254.169.254', '100.64.0.1', '::1', 'fe80::1', 'fd00::2', '::ffff:127.0.0.1', '192.0.2.2']) {
      expect(isNonPublicAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isNonPublicAddress(a), a).toBe(false);
  });

  it('fetches text, base64-encodes binary and follows redirects', async () => {
    expect(await fetchUrl({ url: `${base}/text` })).toEqual({
      url: `${base}/text`, status: 200, contentType: 'text/plain; charset=utf-8', bytes: 18, truncated: false, encoding: 'utf8', body: 'hello from the LAN',
    });
    expect(await fetchUrl({ url: `${base}/bin` })).toMatchObject({ encoding: 'base64', body: Buffer.from([0, 1, 2, 255]).toString('base64'), bytes: 4 });
    expect(await fetchUrl({ url: `${base}/redirect` })).toMatchObject({ url: `${base}/text`, body: 'hello from the LAN' });
    expect(await fetchUrl({ url: `${base}/missing` })).toMatchObject({ status: 404, body: '' });
  });

  it('truncates bodies at maxBytes, and only when there was more', async () => {
    expect(await fetchUrl({ url: `${base}/big`, maxBytes: 100 })).toMatchObject({ bytes: 100, truncated: true, body: 'x'.repeat(100) });
    expect(await fetchUrl({ url: `${base}/big`, maxBytes: 2000 })).toMatchObject({ bytes: 2000, truncated: false });
  });

  it('refuses other schemes, redirect loops and slow servers with clear errors', async () => {
    expect((await failure(fetchUrl({ url: 'ftp://example.com/x' }))).message).toBe('fetch-url: input.url: must match /^https?:///');
    const toFile = await failure(fetchUrl({ url: `${base}/to-file` }));
    expect([toFile.code, toFile.message]).toEqual(['bad-input', 'fetch-url: input.url: only http and https are allowed (got file:)']);
    expect((await failure(fetchUrl({ url: `${base}/loop` }))).code).toBe('too-many-redirects');
    const slow = await failure(fetchUrl({ url: `${base}/slow`, timeoutMs: 200 }));
    expect([slow.code, slow.message]).toEqual(['timeout', `fetch-url: ${base.slice(7)} did not answer within 200 ms`]);
    expect((await failure(fetchUrl({ url: `${base}/text`, maxBytes: 0 }))).message).toBe('fetch-url: input.maxBytes: must be >= 1');
  });
});
