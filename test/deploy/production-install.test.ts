import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execForm, parseDockerfile, stageEnv, type DockerStage } from '../helpers/dockerfile.ts';
import { freePort } from '../helpers/free-port.ts';
import { startServer, type ServerProcess } from '../helpers/server-process.ts';

/**
 * No Docker engine here, so this replays the Dockerfile's runtime stage on the host: the same
 * files copied from the build output, the same `npm ci` line, the same CMD, HEALTHCHECK and ENV.
 * The build stage is this checkout after `npm run build` (the test setup compiles dist/).
 */
const ROOT = new URL('../..', import.meta.url).pathname;
const stages = parseDockerfile(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1)!;
const ops = (stage: DockerStage, op: string) => stage.instructions.filter((i) => i.op === op).map((i) => i.args);
const MB = 1024 * 1024;

function sizeOf(path: string): number {
  const st = statSync(path);
  if (!st.isDirectory()) return st.size;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

describe('Dockerfile', () => {
  test('is multi-stage: a full build stage, then a slim non-root runtime with /data, port 8787 and a node healthcheck', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'runtime']);
    expect(ops(stages[0]!, 'RUN')).toContain('npm run build');
    expect(runtime.from).toMatch(/^node:20(\.[\d.]+)?-slim$/);
    const user = ops(runtime, 'USER').at(-1);
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(ops(runtime, 'VOLUME').join(' ')).toContain('/data');
    expect(stageEnv(runtime)).toMatchObject({ TABMESH_DATA_DIR: '/data', NODE_ENV: 'production' });
    expect(ops(runtime, 'EXPOSE')).toEqual(['8787']);
    const [healthcheck] = ops(runtime, 'HEALTHCHECK');
    expect(execForm(healthcheck!)[0]).toBe('node');
    expect(execForm(ops(runtime, 'CMD').at(-1)!)).toEqual(['node', 'dist/server/main.node.js']);
    const install = ops(runtime, 'RUN').find((r) => r.startsWith('npm ci'));
    expect(install).toMatch(/--omit=dev/);
    expect(install).toMatch(/--ignore-scripts/);
  });
});

describe('the runtime stage replayed into a temp dir', () => {
  const app = mkdtempSync(join(tmpdir(), 'tabmesh-image-'));
  const dataDir = join(app, 'data');
  const env: Record<string, string> = { ...stageEnv(runtime), TABMESH_DATA_DIR: dataDir, HOST: '127.0.0.1' };
  let server: ServerProcess;

  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'web/dist/index.html')), 'web/dist is missing: run `npm run build` (the Docker build stage does)').toBe(true);
    for (const { op, args } of runtime.instructions) {
      if (op === 'COPY') {
        const [src, dst] = args.split(' ').filter((a) => !a.startsWith('--')).slice(-2);
        const from = args.includes('--from=build') ? [src!.replace(/^\/app\//, '')] : args.split(' ').slice(0, -1);
        for (const f of from) cpSync(join(ROOT, f), dst!.endsWith('/') ? join(app, dst!, f) : join(app, dst!), { recursive: true });
      } else if (op === 'RUN' && /^npm (ci|install)\b/.test(args)) {
        // Replay the install only (not `&& npm cache clean`: the cache is shared with the machine).
        const [cmd, ...argv] = args.split('&&')[0]!.trim().split(' ');
        execFileSync(cmd!, [...argv, '--prefer-offline'], { cwd: app, stdio: 'pipe', timeout: 180_000 });
      }
    }
    mkdirSync(dataDir);
    env.PORT = String(await freePort());
    server = await startServer({ root: app, env, dataDir });
  }, 240_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(app, { recursive: true, force: true });
  });

  test('holds production dependencies only, with the node-datachannel prebuild, in a small layer', () => {
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
    const devInstalled = Object.entries(lock.packages)
      .filter(([path, meta]) => path && (meta.dev || meta.devOptional) && existsSync(join(app, path)))
      .map(([path]) => path);
    expect(devInstalled).toEqual([]);
    const libc = process.platform === 'linux' ? '-gnu' : '';
    expect(existsSync(join(app, `node_modules/@node-datachannel/${process.platform}-${process.arch}${libc}`))).toBe(true);
    const layer = sizeOf(join(app, 'node_modules')) + sizeOf(join(app, 'dist')) + sizeOf(join(app, 'web/dist'));
    console.log(`app layer: ${(layer / MB).toFixed(1)} MB (node_modules ${(sizeOf(join(app, 'node_modules')) / MB).toFixed(1)} MB)`);
    // node:20-slim is ~70 MB compressed; the app must stay well inside the < 200 MB image budget.
    // 64 MB since the embedded store and MCP: libsql ships its glibc and musl prebuilds (~9.5 MB
    // each; npm cannot tell them apart without a `libc` field) and @modelcontextprotocol/sdk brings
    // zod and ajv (~18 MB); measured 53.6 MB on 2026-12-07.
    expect(layer).toBeLessThan(64 * MB);
  });

  test('starts with the image\'s CMD and ENV: /health 200 and the hub served', async () => {
    expect(server.port).toBe(Number(env.PORT));
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok' });
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    const html = await index.text();
    expect(html).toBe(readFileSync(join(ROOT, 'web/dist/index.html'), 'utf8'));
    const asset = /(?:src|href)="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(asset).toBeDefined();
    const js = await fetch(`${server.url}${asset}`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toContain('javascript');
    // Secrets went to TABMESH_DATA_DIR (the image's /data volume), not into the app dir.
    expect(readdirSync(dataDir).length).toBeGreaterThan(0);
  });

  /** Runs the image's HEALTHCHECK command in the install, as Docker would; returns its exit code. */
  const healthcheck = () => {
    const [cmd, ...args] = execForm(ops(runtime, 'HEALTHCHECK')[0]!);
    return spawnSync(cmd === 'node' ? process.execPath : cmd!, args, { cwd: app, env: { ...env, PATH: process.env.PATH }, timeout: 10_000 }).status;
  };

  test('the image\'s HEALTHCHECK command passes against it', () => {
    expect(healthcheck()).toBe(0);
  });

  test('`tabmesh doctor` from the production install: node-datachannel loads, key accepted', async () => {
    expect(server.adminKey).toBeDefined();
    // The installed CLI, not this checkout's. Asynchronous on purpose: a spawnSync here would stop
    // this process from draining the server's log pipes, and a full pipe stalls the server.
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [join(app, 'bin/tabmesh.js'), 'doctor', '--url', server.url, '--key', server.adminKey!, '--bind-address', '127.0.0.1'], {
        cwd: app, env: { PATH: process.env.PATH, HOME: app }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      child.on('close', (status) => (clearTimeout(timer), resolve({ status, stdout, stderr })));
    });
    const diagnosis = `status ${run.status}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`;
    expect(run.stdout, diagnosis).toMatch(/\[ ok \] node-datachannel [\d.]+ loads/);
    expect(run.stdout).toContain('[ ok ] key accepted: role admin');
    expect(run.stdout).toContain('[warn] ICE config: no STUN or TURN server configured');
    expect(run.status, diagnosis).toBe(0);
  }, 90_000);

  test('the HEALTHCHECK fails once the server is gone', async () => {
    await server.stop();
    expect(healthcheck()).toBe(1);
  });
});

describe('npm pack', () => {
  test('ships everything the runtime stage copies, and no tests or dependencies', () => {
    const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    const files = (JSON.parse(out) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    for (const src of ops(runtime, 'COPY').filter((a) => a.includes('--from=build')).map((a) => a.split(' ')[1]!.replace(/^\/app\//, ''))) {
      expect(files.some((f) => f === src || f.startsWith(`${src}/`)), `npm pack lacks ${src}`).toBe(true);
    }
    expect(files).toEqual(expect.arrayContaining([
      'package.json', 'bin/tabmesh.js', 'dist/server/main.node.js', 'dist/headless-node/cli.js', 'web/dist/index.html',
      'server/main.deno.ts', 'deno.json', 'deploy/healthcheck.mjs',
    ]));
    expect(files.filter((f) => /^(test|bench|node_modules|\.tabmesh)\//.test(f))).toEqual([]);
  });
});
