import type { DataDir } from '../session/data-dir.ts';
import { CREDENTIAL_FILE, pairDevice, savedCredential } from '../session/device-pairing.ts';
import { UsageError } from './command-line.ts';
import { readCredential } from './connection-options.ts';

export interface NodeCredentialFlags {
  key?: string;
  token?: string;
  code?: string;
}

export interface NodeCredential {
  secret: string;
  /** Where it came from; a refused `saved` one may be replaced by pairing again with --code. */
  source: 'flag' | 'saved' | 'paired';
}

const CODE = /^(\d{6}|[A-Z2-7]{12})$/;

/** Checks the credential flags before anything slow happens (exit 2 on a mistake). */
export function checkCredentialFlags(values: NodeCredentialFlags): void {
  const given = (['key', 'token', 'code'] as const).filter((k) => values[k] !== undefined);
  if (given.length > 1) throw new UsageError(`give one of --key, --token or --code (got ${given.map((g) => `--${g}`).join(' and ')})`);
  if (values.code !== undefined && !CODE.test(values.code)) throw new UsageError(`--code must be a 6-digit pairing code or a 12-character invite code (got "${values.code}")`);
}

/**
 * The secret `tabmesh node` authenticates with: --key/--token/TABMESH_KEY as given, else the device
 * token saved in the data dir, else (with --code) a new one from pairing.
 */
export async function resolveNodeCredential(opts: {
  url: string; name: string; values: NodeCredentialFlags; env: Readonly<Record<string, string | undefined>>;
  dir: DataDir; signal: AbortSignal; log: (line: string) => void; ignoreSaved?: boolean;
}): Promise<NodeCredential> {
  const { values, dir } = opts;
  if (values.code === undefined) {
    const flag = readCredential(values, opts.env, false);
    if (flag !== undefined) return { secret: flag, source: 'flag' };
  }
  const saved = opts.ignoreSaved ? undefined : savedCredential(dir, opts.url);
  if (saved) {
    if (values.code !== undefined) opts.log(`using the device token saved in ${dir.path}; --code is not needed any more`);
    return { secret: saved.deviceToken, source: 'saved' };
  }
  if (values.code === undefined) {
    throw new UsageError(`--key, --token or --code is required (no saved device token for ${opts.url} in ${dir.path}/${CREDENTIAL_FILE})`);
  }
  const paired = await pairDevice({ url: opts.url, code: values.code, name: opts.name, dir, signal: opts.signal, log: opts.log });
  return { secret: paired.deviceToken, source: 'paired' };
}
