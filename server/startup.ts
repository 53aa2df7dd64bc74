import { mkdir } from 'node:fs/promises';
import { bootstrapSecrets, type Secrets } from './bootstrap-secrets.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';
import { createLogger } from './ops/logger.ts';
import { openConfiguredStore } from './store/open-store.ts';
import type { Store } from './store/store.ts';

/**
 * Loads config, opens the store and reads (or creates) the secrets, or exits 1 with one line
 * saying what is wrong and what to do; shared by both entries.
 */
export async function startupOrExit(
  env: Record<string, string | undefined>,
  exit: (code: number) => never,
): Promise<{ config: Config; secrets: Secrets; store: Store }> {
  let store: Store | undefined;
  try {
    const config = loadConfig(env);
    const logger = createLogger(config.logLevel);
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    store = await openConfiguredStore(config, (cause) => logger.warn('expiry sweep failed', { cause }));
    return { config, store, secrets: await bootstrapSecrets(config, config.store === 'embedded' ? store : undefined) };
  } catch (err) {
    await store?.close().catch(() => undefined);
    if (err instanceof ConfigError) console.error(`tabmesh: invalid configuration: ${err.message}`);
    else console.error(`tabmesh: cannot start: ${(err as Error).message}`);
    return exit(1);
  }
}

/** The banner on stdout; the admin key appears only on the start that created it. */
export function banner(config: Config, secrets: Secrets, scheme: 'http' | 'https', port: number): string {
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  const url = config.publicUrl ?? `${scheme}://${host}:${port}`;
  const lines = [`tabmesh listening on ${scheme}://${config.host}:${port} — hub at ${url}/`];
  if (secrets.createdAdminKey) {
    lines.push(
      '',
      'First start: created an admin key (shown only this once; stored in ' + secrets.adminKeyFile + ').',
      `  Admin key: ${secrets.createdAdminKey}`,
      `  Open the hub as admin: ${url}/#admin=${secrets.createdAdminKey}`,
      '',
    );
  } else if (secrets.adminKeyFile) {
    // The key itself is printed only once (logs keep stdout); say how to build the link from the file.
    lines.push(`Admin key: stored in ${secrets.adminKeyFile}; open the hub as admin at ${url}/#admin=<the key in that file>`);
  }
  return lines.join('\n');
}
