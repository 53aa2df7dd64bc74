/**
 * `node clean-exec.js COMMAND ARGS…`: closes the descriptors it inherited above stderr, then runs
 * COMMAND with the same stdin/stdout/stderr and exits as it does. A peer spawns children through
 * this because node-datachannel's UDP sockets are not close-on-exec: a child started directly
 * would hold the parent's sockets open (and receive on them) for its whole life.
 */
import { spawn } from 'node:child_process';
import { closeInheritedFds } from './close-inherited-fds.ts';

closeInheritedFds();
const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: clean-exec COMMAND [ARGS…]\n');
  process.exit(2);
}
const child = spawn(command, args, { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => child.kill(signal));
child.on('error', (err) => {
  process.stderr.write(`clean-exec: cannot start "${command}": ${err.message}\n`);
  process.exit(127);
});
child.on('exit', (code, signal) => {
  if (signal) {
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  }
  process.exit(code ?? 1);
});
