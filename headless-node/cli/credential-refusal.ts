import { MeshError } from '../../web/mesh/index.ts';
import { CREDENTIAL_FILE } from '../session/device-pairing.ts';
import { CliError, EXIT } from './command-line.ts';
import type { NodeCredential } from './node-credential.ts';

/** A MeshError saying the server refused the credential (a narrower type, so `false` keeps MeshError). */
export type CredentialRefusal = MeshError & { code: 'unauthorized' | 'revoked' };

/** True for the server refusing the credential itself (unknown or revoked), which no retry fixes. */
export function isCredentialRefusal(err: unknown): err is CredentialRefusal {
  return err instanceof MeshError && !err.retryable && (err.code === 'unauthorized' || err.code === 'revoked');
}

export interface RefusalContext {
  url: string;
  name: string;
  /** The data dir; named in the pairing command only when it is not the default for `name`. */
  dataDir: string;
  customDataDir: boolean;
  credential: NodeCredential;
}

/**
 * The one line `tabmesh node` prints when the server refuses its credential: what happened in
 * plain words and the exact command that pairs this node again. Device tokens start with `tmd_`.
 */
export function refusalLine(err: CredentialRefusal, ctx: RefusalContext): string {
  const revoked = err.code === 'revoked';
  const device = ctx.credential.source !== 'flag' || ctx.credential.secret.startsWith('tmd_');
  const pair = `tabmesh node --url ${shellWord(ctx.url)} --name ${ctx.name}${ctx.customDataDir ? ` --data-dir ${shellWord(ctx.dataDir)}` : ''} --code CODE`;
  const code = `create a pairing code in the hub (Admin tab) and run: ${pair}`;
  if (!device) {
    const what = revoked ? `the API key was revoked on ${ctx.url}` : `the server at ${ctx.url} does not know this API key`;
    return `${what}; check --key / TABMESH_KEY, or pair this node instead: ${code}`;
  }
  const where = ctx.credential.source === 'flag' ? 'given with --token / TABMESH_KEY' : `saved in ${ctx.dataDir}/${CREDENTIAL_FILE}`;
  const what = revoked
    ? `an admin revoked this device on ${ctx.url} (its device token ${where} is refused)`
    : `the server at ${ctx.url} no longer knows this device (it refused the device token ${where})`;
  return `${what}; to pair again, ${code}`;
}

/** `word` as one POSIX shell word, so the printed command can be pasted as it is. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./~-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** A refusal as the CLI error that prints that line and exits 3 (docs/cli.md). */
export function refusalError(err: CredentialRefusal, ctx: RefusalContext): CliError {
  return new CliError(refusalLine(err, ctx), EXIT.connection);
}
