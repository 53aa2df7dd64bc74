import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('../../scripts/in-netns.mjs', import.meta.url));
// The command under the wrapper prints the mode it was given and its interfaces.
const probe = "const os=require('node:os');console.log(JSON.stringify({mode:process.env.TABMESH_NETNS,ifaces:Object.keys(os.networkInterfaces()).sort()}))";

interface Outcome { code: number | null; stdout: string; stderr: string }

function runWrapper(env: NodeJS.ProcessEnv): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, process.execPath, '-e', probe], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The environment minus anything that would pick a mode for the wrapper. */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TABMESH_NETNS;
  delete env.CI;
  return env;
}

describe('scripts/in-netns.mjs', () => {
  it('fails, naming the opt-in, when no namespace can be made (no unshare on PATH), instead of running on the host', async () => {
    const r = await runWrapper({ ...baseEnv(), PATH: '/nonexistent' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('TABMESH_NETNS=off');
  });

  it('runs on the host, and says so, only when TABMESH_NETNS=off opts in', async () => {
    const r = await runWrapper({ ...baseEnv(), TABMESH_NETNS: 'off' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).mode).toBe('host');
    expect(r.stderr).toContain('running on the host');
  });

  it('refuses the host opt-in when CI is set', async () => {
    const r = await runWrapper({ ...baseEnv(), TABMESH_NETNS: 'off', CI: 'true' });
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('refused when CI is set');
  });

  it.runIf(process.getuid?.() === 0)('runs the command inside a namespace with only lo and the veth pair (as root)', async () => {
    const r = await runWrapper(baseEnv());
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ mode: 'inside', ifaces: ['lo', 'va', 'vb'] });
  });
});
