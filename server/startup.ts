import { bootstrapSecrets, type Secrets } from './bootstrap-secrets.ts';
import { ConfigError, loadConfig, type Config } from './config.ts';

/** Loads config and secrets or exits 1 with the variable and rule; shared by both entries. */
export async function startupOrExit(env: Record<string, string | undefined>, exit: (code: number) => never): Promise<{ config: Config; secrets: Secrets }> {
  try {
    const config = loadConfig(env);
    return { config, secrets: await bootstrapSecrets(config) };
  } catch (err) {
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
    lines.push(`Admin key: stored in ${secrets.adminKeyFile}`);
  }
  return lines.join('\n');
}
