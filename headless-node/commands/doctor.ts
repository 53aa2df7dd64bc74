import { isIP } from 'node:net';
import { EXIT, intFlag, runCommand, UsageError, type CommandSpec } from '../cli/command-line.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, readCredential, readServerUrl } from '../cli/connection-options.ts';
import { skip, type CheckResult } from '../doctor/check-result.ts';
import { checkDataDir } from '../doctor/data-dir-checks.ts';
import { checkNodeDatachannel, checkNodeVersion, releaseNodeDatachannel } from '../doctor/environment-checks.ts';
import { checkIceServers } from '../doctor/ice-checks.ts';
import { checkHealth, checkIceConfig, checkSignaling, checkToken } from '../doctor/server-checks.ts';
import { generateIdentity } from '../../protocol/index.ts';

const spec = {
  name: 'doctor',
  options: { ...CONNECTION_OPTIONS, 'bind-address': { type: 'string' }, 'data-dir': { type: 'string' }, 'timeout-ms': { type: 'string' }, json: { type: 'boolean' } },
  help: `usage: tabmesh doctor --url URL [--key KEY | --token TOKEN] [--bind-address IP] [--data-dir DIR] [--timeout-ms MS] [--json]
       tabmesh doctor --data-dir DIR [--json]     (this machine and the store only)

Checks, in order, and says in plain words what is wrong:
  Node.js version (>= 20), node-datachannel loads, the server answers /health, the key is
  accepted (POST /api/token), the signaling WebSocket says welcome, the ICE config from
  /api/config, and a round trip to every STUN/TURN server in it (TURN: the credential is accepted
  and node-datachannel gathers a relay candidate).

${CONNECTION_HELP}
                     (without a key the token, signaling and ICE checks are skipped)
  --bind-address IP  gather ICE candidates on this local address only (env TABMESH_BIND_ADDRESS)
  --data-dir DIR     on the server's machine: the store the environment selects (TABMESH_STORE,
                     TABMESH_REDIS_URL) and the data dir's health: writable, free space, modes
                     (700 directory, 600 database and secrets), the database file's header and
                     schema (env TABMESH_DATA_DIR); without --url the server checks are skipped
  --timeout-ms MS    per network check (default 5000)
  --json             print {ok, checks[]} as JSON instead of text

Exit code 0 when nothing failed (warnings allowed), 1 when a check failed, 2 on bad usage.`,
} satisfies CommandSpec<Record<string, { type: 'string' | 'boolean' }>>;

const MARK: Record<CheckResult['status'], string> = { ok: '[ ok ]', warn: '[warn]', fail: '[FAIL]', skip: '[skip]' };

async function runChecks(url: URL | undefined, key: string | undefined, bindAddress: string | undefined, timeoutMs: number, emit: (r: CheckResult) => void): Promise<void> {
  emit(checkNodeVersion());
  emit(await checkNodeDatachannel());
  if (!url) return emit(skip('server, token, signaling and ICE checks: no --url given'));
  const health = await checkHealth(url, timeoutMs);
  emit(health);
  if (health.status === 'fail') return emit(skip('token, signaling and ICE checks: the server is not reachable'));
  if (!key) return emit(skip('token, signaling and ICE checks: no --key or --token given'));
  const { result, token } = await checkToken(url, key, (await generateIdentity(false)).identity, timeoutMs);
  emit(result);
  if (!token) return emit(skip('signaling and ICE checks: no token'));
  emit(await checkSignaling(url, token, timeoutMs));
  const ice = await checkIceConfig(url, token, timeoutMs);
  emit(ice.result);
  for (const r of await checkIceServers(ice.iceServers ?? [], { bindAddress, timeoutMs })) emit(r);
}

/** `tabmesh doctor`: diagnoses this machine, the server, the key and the STUN/TURN setup. */
export async function run(args: string[]): Promise<number> {
  return runCommand(spec, args, async (values) => {
    const dataDir = values['data-dir'] ?? process.env.TABMESH_DATA_DIR;
    // On the server's machine the store alone is worth checking: no URL needed for that.
    const url = dataDir !== undefined && values.url === undefined && process.env.TABMESH_URL === undefined ? undefined : new URL(readServerUrl(values, process.env));
    const key = readCredential(values, process.env, false);
    const timeoutMs = intFlag('timeout-ms', values['timeout-ms'], 5000, 100, 60_000);
    const bindAddress = values['bind-address'] ?? process.env.TABMESH_BIND_ADDRESS;
    if (bindAddress !== undefined && !isIP(bindAddress)) throw new UsageError(`--bind-address must be an IP address (got "${bindAddress}")`);
    const checks: CheckResult[] = [];
    if (!values.json) console.log(`tabmesh doctor: checking ${url ? url.origin : `this machine and ${dataDir}`}\n`);
    try {
      const emit = (r: CheckResult) => {
        checks.push(r);
        if (values.json) return;
        console.log(`${MARK[r.status]} ${r.title}`);
        if (r.fix) console.log(`       → ${r.fix}`);
      };
      await runChecks(url, key, bindAddress, timeoutMs, emit);
      if (dataDir !== undefined) checkDataDir(dataDir, process.env).forEach(emit);
    } finally {
      await releaseNodeDatachannel();
    }
    const failed = checks.filter((c) => c.status === 'fail').length;
    if (values.json) console.log(JSON.stringify({ ok: failed === 0, checks }, null, 2));
    else console.log(failed ? `\n${failed} problem${failed === 1 ? '' : 's'} found.` : '\nAll checks passed.');
    return failed ? EXIT.failed : EXIT.ok;
  });
}
