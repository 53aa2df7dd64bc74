import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { readFileSync } from 'node:fs';
import { fail, ok, type CheckResult } from './check-result.ts';

const MIN_NODE_MAJOR = 20;

/** Node.js must be ≥ 20 (global fetch/WebCrypto, and what node-datachannel's prebuilds target). */
export function checkNodeVersion(version: string = process.versions.node): CheckResult {
  const major = Number(version.split('.')[0]);
  if (major >= MIN_NODE_MAJOR) return ok(`Node.js ${version}`);
  return fail(
    `Node.js ${version} is too old: tabmesh needs Node.js ${MIN_NODE_MAJOR} or newer`,
    'install Node.js 20 LTS or newer (https://nodejs.org/, or `nvm install 20`; on Raspberry Pi OS see docs/raspberry-pi.md)',
  );
}

/** The platform package npm should have installed next to node-datachannel, e.g. linux-arm64-gnu. */
function prebuildName(): string {
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  const libc = process.platform === 'linux' ? (report?.header?.glibcVersionRuntime ? '-gnu' : '-musl') : '';
  return `@node-datachannel/${process.platform}-${process.arch}${libc}`;
}

/** node-datachannel's native module loads and can create (and close) a peer connection. */
export async function checkNodeDatachannel(): Promise<CheckResult> {
  try {
    const ndc = await import('node-datachannel');
    const pc = new ndc.PeerConnection('tabmesh-doctor', { iceServers: [] });
    pc.close();
    let version = '';
    try {
      const main = createRequire(import.meta.url).resolve('node-datachannel');
      let dir = dirname(main);
      while (!version && dir !== dirname(dir)) {
        try {
          const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
          if (pkg.name === 'node-datachannel') version = ` ${pkg.version}`;
        } catch { /* keep walking up */ }
        dir = dirname(dir);
      }
    } catch { /* the version is a nicety */ }
    return ok(`node-datachannel${version} loads (${process.platform}-${process.arch})`);
  } catch (err) {
    return fail(
      `node-datachannel does not load on ${process.platform}-${process.arch}: ${(err as Error).message}`,
      `its native binary comes from the optional dependency ${prebuildName()}: reinstall without --omit=optional/--no-optional. ` +
        'Prebuilds exist for 64-bit Linux (x64, arm64), macOS and Windows; 32-bit Raspberry Pi OS has none, use the 64-bit OS',
    );
  }
}

/** Stops node-datachannel's threads so a one-shot command can exit once its work is done. */
export async function releaseNodeDatachannel(): Promise<void> {
  const ndc = await import('node-datachannel').catch(() => undefined);
  ndc?.cleanup();
}
