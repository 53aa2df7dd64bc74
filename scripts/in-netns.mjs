#!/usr/bin/env node
// Runs a command inside a private network namespace made for WebRTC tests and benchmarks:
// loopback plus a veth pair (10.99.0.1 <-> 10.99.0.2) with a default route, without which
// Chromium gathers no ICE candidate at all (and it never gathers loopback ones). Everything the
// command starts (server, Chromium, Node peers) shares the namespace and never touches the
// machine's real interfaces. Where the namespace cannot be made (not root, no unshare) it FAILS:
// a suite that quietly ran on the host would let WebRTC use real interfaces while claiming
// isolation. A developer may run on the host on purpose with TABMESH_NETNS=off; that is refused
// when CI is set, so CI always runs isolated. The command sees TABMESH_NETNS=inside|host.
//
// Usage: node scripts/in-netns.mjs <command> [args...]
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const SETUP_FAILED = 97;
const NETNS_SETUP = [
  'ip link set lo up',
  'ip link add va type veth peer name vb',
  'ip addr add 10.99.0.1/24 dev va',
  'ip addr add 10.99.0.2/24 dev vb',
  'ip link set va up',
  'ip link set vb up',
  'ip route add default via 10.99.0.2 dev va',
].join(' && ');

/** Runs a command with inherited stdio; resolves with its exit code (signals count as failure). */
function run(cmd, argv, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { stdio: 'inherit', env });
    const forward = (sig) => child.kill(sig);
    process.on('SIGINT', forward).on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward).off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 : 1));
    });
    child.on('error', (err) => {
      console.error(`in-netns: cannot run ${cmd}: ${err.message}`);
      resolve(SETUP_FAILED);
    });
  });
}

const HOST_HINT = 'set TABMESH_NETNS=off to run on the host on purpose (never in CI)';

/** Runs `cmd args` in the namespace (or, opted into, on the host); resolves with its exit code. */
export async function runInNetns(cmd, args, env = process.env) {
  if (env.TABMESH_NETNS === 'inside') return run(cmd, args, env);
  if (env.TABMESH_NETNS === 'off') {
    if (env.CI) {
      console.error('in-netns: TABMESH_NETNS=off is refused when CI is set: CI runs WebRTC only inside the namespace');
      return SETUP_FAILED;
    }
    console.error('in-netns: TABMESH_NETNS=off: running on the host; WebRTC may gather candidates on real interfaces');
    return run(cmd, args, { ...env, TABMESH_NETNS: 'host' });
  }
  const probe = spawnSync('unshare', ['--net', 'true'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    console.error(`in-netns: cannot create a network namespace (needs root and unshare); ${HOST_HINT}`);
    return SETUP_FAILED;
  }
  const script = `${NETNS_SETUP} || exit ${SETUP_FAILED}; exec "$0" "$@"`;
  const code = await run('unshare', ['--net', '--', 'sh', '-c', script, cmd, ...args], { ...env, TABMESH_NETNS: 'inside' });
  if (code === SETUP_FAILED) console.error(`in-netns: could not configure the network namespace (veth/route); ${HOST_HINT}`);
  return code;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, ...args] = process.argv.slice(2);
  if (!cmd) {
    console.error('usage: node scripts/in-netns.mjs <command> [args...]');
    process.exitCode = 2;
  } else {
    process.exitCode = await runInNetns(cmd, args);
  }
}
