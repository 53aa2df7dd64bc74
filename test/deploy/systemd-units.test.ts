import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';

const ROOT = new URL('../..', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'tabmesh-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The unit as shipped, with /opt/tabmesh and /usr/bin/node pointed at this checkout and this node. */
function localCopy(name: string): string {
  const text = readFileSync(join(ROOT, 'deploy', name), 'utf8')
    .replaceAll('/opt/tabmesh', ROOT.replace(/\/$/, ''))
    .replaceAll('/usr/bin/node', process.execPath);
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const setting = (text: string, key: string) => [...text.matchAll(new RegExp(`^${key}=(.*)$`, 'gm'))].map((m) => m[1]!);

describe.each(['tabmesh-server.service', 'tabmesh-node.service'])('deploy/%s', (name) => {
  const text = readFileSync(join(ROOT, 'deploy', name), 'utf8');

  test('passes systemd-analyze verify', () => {
    const run = spawnSync('systemd-analyze', ['verify', '--man=no', localCopy(name)], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr.trim() }).toEqual({ status: 0, stderr: '' });
  });

  test('restarts on failure as a dedicated unprivileged user, hardened (systemd exposure ≤ 2.0)', () => {
    expect(setting(text, 'Restart')).toEqual(['on-failure']);
    expect(setting(text, 'User')).toEqual(['tabmesh']);
    expect(setting(text, 'NoNewPrivileges')).toEqual(['yes']);
    expect(setting(text, 'ProtectSystem')).toEqual(['strict']);
    const out = execFileSync('systemd-analyze', ['security', '--offline=yes', localCopy(name)], { encoding: 'utf8' });
    const exposure = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(out)?.[1]);
    console.log(`${name}: systemd exposure ${exposure}`);
    expect(exposure).toBeLessThanOrEqual(2);
  });

  test('starts a file this repo builds, and keeps secrets off the command line', () => {
    const [execStart] = setting(text, 'ExecStart');
    const script = execStart!.split(' ')[1]!.replace('/opt/tabmesh/', '');
    expect(existsSync(join(ROOT, script)), script).toBe(true);
    expect(execStart).not.toMatch(/--key|--token|KEY=|SECRET/);
  });
});

test('deploy/tabmesh-node.service does not restart a node whose credential was refused (exit 3)', () => {
  expect(setting(readFileSync(join(ROOT, 'deploy/tabmesh-node.service'), 'utf8'), 'RestartPreventExitStatus')).toEqual(['3']);
});
