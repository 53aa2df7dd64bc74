import { spawn } from 'node:child_process';
import { existsSync, lstatSync, statSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLocalApi, readTcpTarget } from '../../headless-node/local-api/client.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';
import { rawLocalApi } from './helpers/raw-local-api.ts';
import { runCli, startNodePeer, type NodePeer } from './helpers/tabmesh-cli.ts';

const KEY = 'agent-key-for-local-api-errors-01';

let server: ServerProcess;
let front: NodePeer;
let back: NodePeer;
const sockets: Socket[] = [];
const raw = (dataDir: string) => rawLocalApi(dataDir, sockets);

beforeAll(async () => {
  server = await startServer({ env: { TABMESH_API_KEYS: `agent:${KEY}` } });
  [front, back] = await Promise.all([
    startNodePeer({ url: server.url, key: KEY, name: 'front', args: ['--skills', 'echo'] }),
    startNodePeer({ url: server.url, key: KEY, name: 'back', args: ['--skills', 'echo'] }),
  ]);
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all([front?.stop('SIGKILL'), back?.stop('SIGKILL')]);
  await server?.stop();
});

describe('local API errors', () => {
  it('answers malformed, unknown and oversize requests with documented codes and keeps the connection', async () => {
    const c = await raw(front.dataDir);
    c.send('this is not json');
    expect(await c.next()).toEqual({ id: null, ok: false, error: { code: 'bad-json', message: expect.stringContaining('not valid JSON') } });
    c.send('[1,2]');
    expect(await c.next()).toMatchObject({ id: null, ok: false, error: { code: 'bad-request', message: '(root): must be a JSON object' } });
    c.send('{"id":1,"op":"call"}');
    expect(await c.next()).toEqual({ id: 1, ok: false, error: { code: 'bad-request', message: 'skill: is required' } });
    c.send('{"id":2,"op":"call","skill":"Not A Name"}');
    expect(await c.next()).toEqual({ id: 2, ok: false, error: { code: 'bad-request', message: 'skill: must be lower-case a-z 0-9 _ . -' } });
    c.send('{"id":3,"op":"call","skill":"echo","timeoutMs":-5}');
    expect(await c.next()).toEqual({ id: 3, ok: false, error: { code: 'bad-request', message: 'timeoutMs: must be >= 1' } });
    c.send('{"id":4,"op":"fly"}');
    expect(await c.next()).toMatchObject({ id: 4, ok: false, error: { code: 'unknown-op', message: expect.stringMatching(/^op: must be one of call, /) } });
    c.send('{"id":"r5","op":"register","agent":"x","skills":[]}');
    expect(await c.next()).toEqual({ id: 'r5', ok: false, error: { code: 'bad-request', message: 'skills: must list at least one skill' } });
    c.send(`{"id":6,"op":"call","skill":"echo","input":"${'x'.repeat(9 * 1024 * 1024)}"}`);
    expect(await c.next()).toMatchObject({ id: null, ok: false, error: { code: 'too-large', message: expect.stringContaining('8388608 bytes') } });
    c.send('{"id":"same","op":"call","skill":"nope-never","peer":"%s","timeoutMs":60000}'.replace('%s', back.peerId));
    c.send('{"id":"same","op":"info"}');
    const [first, second] = [await c.next(), await c.next()];
    expect([first, second]).toContainEqual({ id: 'same', ok: false, error: { code: 'duplicate-id', message: 'id: "same" is still running on this connection; use a new id per request' } });
    c.send('{"op":"result","call":"c999","output":1}');
    expect(await c.next()).toMatchObject({ id: null, ok: false, error: { code: 'unknown-call' } });
    c.send('{"id":7,"op":"call","skill":"echo","input":"still here"}');
    expect(await c.next()).toMatchObject({ id: 7, ok: true, result: { output: 'still here' } });
  });

  it('names unknown peers, unknown skills and skills nobody offers', async () => {
    const c = await raw(front.dataDir);
    const nobody = `k${'A'.repeat(42)}`;
    c.send(JSON.stringify({ id: 1, op: 'call', skill: 'echo', peer: nobody, input: 'x' }));
    expect(await c.next()).toMatchObject({ id: 1, ok: false, error: { code: 'unknown-peer', message: expect.stringContaining(nobody) } });
    c.send(JSON.stringify({ id: 2, op: 'call', skill: 'nope', peer: back.peerId }));
    expect(await c.next()).toMatchObject({ id: 2, ok: false, error: { code: 'unknown-skill' } });
    c.send(JSON.stringify({ id: 3, op: 'call', skill: 'nope' }));
    expect(await c.next()).toEqual({ id: 3, ok: false, error: { code: 'no-agent', message: 'no active agent offers skill "nope"' } });
    c.send(JSON.stringify({ id: 4, op: 'ping', peer: nobody }));
    expect(await c.next()).toMatchObject({ id: 4, ok: false, error: { code: 'unknown-peer' } });
    c.send(JSON.stringify({ id: 5, op: 'unregister', agent: 'never' }));
    expect(await c.next()).toMatchObject({ id: 5, ok: false, error: { code: 'not-registered', message: 'agent: this connection registered no agent "never"' } });
  });

  it('forwards a skill error from the local process to the remote caller with its code', async () => {
    const server = await raw(front.dataDir);
    server.send(JSON.stringify({ id: 1, op: 'register', agent: 'failer', skills: [{ name: 'fail' }] }));
    expect(await server.next()).toMatchObject({ id: 1, ok: true });
    const caller = await raw(back.dataDir);
    caller.send(JSON.stringify({ id: 1, op: 'call', skill: 'fail', peer: front.peerId, input: 'x' }));
    const call = await server.next();
    expect(call).toEqual({ event: 'call', call: expect.any(String), agent: 'failer', skill: 'fail', input: 'x', stream: false });
    server.send(JSON.stringify({ op: 'error', call: call.call, code: 'out-of-paper', message: 'the printer is empty' }));
    expect(await caller.next()).toEqual({ id: 1, ok: false, error: { code: 'out-of-paper', message: 'the printer is empty' } });
  });

  it('checks registered input schemas, and remote input against them before the process sees it', async () => {
    const server = await raw(front.dataDir);
    server.send(JSON.stringify({ id: 1, op: 'register', agent: 'typed', skills: [{ name: 'typed', inputSchema: { type: 'text' } }] }));
    expect(await server.next()).toMatchObject({ id: 1, ok: false, error: { code: 'bad-request', message: expect.stringMatching(/^skills\[0\]\.inputSchema\.type: must be one of string, /) } });
    server.send(JSON.stringify({ id: 2, op: 'register', agent: 'typed', skills: [{ name: 'typed', inputSchema: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } }] }));
    expect(await server.next()).toMatchObject({ id: 2, ok: true });
    const caller = await raw(back.dataDir);
    caller.send(JSON.stringify({ id: 1, op: 'call', skill: 'typed', peer: front.peerId, input: { n: 'one' } }));
    expect(await caller.next()).toEqual({ id: 1, ok: false, error: { code: 'bad-input', message: 'typed: input.n: must be integer (got string)' } });
    caller.send(JSON.stringify({ id: 2, op: 'call', skill: 'typed', peer: front.peerId, input: { n: 1 } }));
    // The first line the process gets is the valid call: the bad one never reached it.
    const call = await server.next();
    expect(call).toMatchObject({ event: 'call', skill: 'typed', input: { n: 1 } });
    server.send(JSON.stringify({ op: 'result', call: call.call, output: 'ok' }));
    expect(await caller.next()).toMatchObject({ id: 2, ok: true, result: { output: 'ok' } });
  });

  it('keeps the socket private: 0600 in a 0700 dir, and another user cannot connect', async () => {
    const sock = join(front.dataDir, 'node.sock');
    expect(lstatSync(sock).isSocket()).toBe(true);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    expect(statSync(front.dataDir).mode & 0o777).toBe(0o700);
    if (process.getuid?.() !== 0) return; // switching users needs root (CI runs as root)
    const probe = `import socket\ns = socket.socket(socket.AF_UNIX)\ntry:\n  s.connect(${JSON.stringify(sock)}); print("connected")\nexcept OSError as e:\n  print(type(e).__name__)`;
    const out = await new Promise<string>((resolve) => {
      const p = spawn('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '/usr/bin/python3', '-c', probe], { stdio: ['ignore', 'pipe', 'inherit'] });
      let text = '';
      p.stdout.setEncoding('utf8').on('data', (d: string) => (text += d));
      p.once('exit', () => resolve(text.trim()));
    });
    expect(out).toBe('PermissionError');
  });

  it('refuses a second node on the same data dir, and replaces the socket a crashed node left', async () => {
    const second = await runCli(['node', '--url', server.url, '--key', KEY, '--name', 'front', '--data-dir', front.dataDir, '--bind-address', '127.0.0.1']);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain(`tabmesh node: another tabmesh node is already running on this data dir (${join(front.dataDir, 'node.sock')} answers)`);

    const crashy = await startNodePeer({ url: server.url, key: KEY, name: 'crashy', args: ['--skills', 'echo'] });
    await crashy.stop('SIGKILL');
    expect(existsSync(join(crashy.dataDir, 'node.sock'))).toBe(true);
    const again = await startNodePeer({ url: server.url, key: KEY, name: 'crashy', dataDir: crashy.dataDir, args: ['--skills', 'echo'] });
    try {
      expect(again.peerId).toBe(crashy.peerId);
      const c = await raw(again.dataDir);
      c.send('{"id":1,"op":"info"}');
      expect(await c.next()).toMatchObject({ id: 1, ok: true, result: { peerId: again.peerId } });
    } finally {
      await again.stop();
    }
    expect(existsSync(join(crashy.dataDir, 'node.sock'))).toBe(false);
  });

  it('serves TCP on 127.0.0.1 only to a client that sends the token from local-api.json first', async () => {
    const tcp = await startNodePeer({ url: server.url, key: KEY, name: 'tcp', args: ['--skills', 'echo', '--local-api-port', '0'] });
    try {
      const target = readTcpTarget(tcp.dataDir)!;
      expect(target).toMatchObject({ host: '127.0.0.1', port: expect.any(Number), token: expect.stringMatching(/^tml_/) });
      expect(statSync(join(tcp.dataDir, 'local-api.json')).mode & 0o777).toBe(0o600);

      const intruder = connect(target.port, '127.0.0.1');
      sockets.push(intruder);
      let said = '';
      intruder.setEncoding('utf8').on('data', (d: string) => (said += d));
      intruder.write('{"id":1,"op":"info"}\n');
      await new Promise((resolve) => intruder.once('close', resolve));
      expect(said).toBe('{"id":1,"ok":false,"error":{"code":"unauthorized","message":"send {\\"op\\":\\"auth\\",\\"token\\":…} first with the token from local-api.json in the data dir"}}\n');

      const api = await connectLocalApi(target);
      expect(api.peerId).toBe(tcp.peerId);
      expect((await api.call('echo', 'over tcp')).output).toBe('over tcp');
      api.close();
    } finally {
      await tcp.stop();
    }
    expect(existsSync(join(tcp.dataDir, 'local-api.json'))).toBe(false);
  });
});
