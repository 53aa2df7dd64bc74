import { findRunningNode, LocalApiError, type LocalApiClient } from '../local-api/client.ts';
import { CliError, EXIT } from './command-line.ts';
import { trace } from './trace.ts';

/** Flags of the commands that can go through a running node (call, ping, peers). */
export const RUNNING_NODE_OPTIONS = {
  'data-dir': { type: 'string' },
  'one-shot': { type: 'boolean' },
} as const;

export const RUNNING_NODE_HELP = `  --data-dir DIR     go through the tabmesh node running on DIR (its local API socket): no join,
                     no server needed for peers it has links to; without a node there: one-shot
                     (then --url and --key are needed)
  --one-shot         join as a throw-away peer even when a node runs on --data-dir`;

/** The node serving `--data-dir`, unless `--one-shot` or none runs there. */
export async function runningNodeFor(values: { 'data-dir'?: string; 'one-shot'?: boolean }): Promise<LocalApiClient | undefined> {
  const dir = values['data-dir'];
  if (dir === undefined || values['one-shot']) return undefined;
  const node = await findRunningNode(dir).catch((err: unknown) => {
    throw new CliError(`cannot reach the node on ${dir}: ${(err as Error).message}`, EXIT.connection);
  });
  trace(node ? `through the node on ${dir} (${node.peerId ?? 'not joined yet'})` : `no node runs on ${dir}; one-shot`);
  return node;
}

/** One line saying why a request through the node failed, worded like the one-shot path's. */
export function describeNodeFailure(err: unknown, what: string, timeoutMs: number): CliError {
  if (!(err instanceof LocalApiError)) return new CliError(`${what} failed: ${err instanceof Error ? err.message : String(err)}`);
  if (err.code === 'timeout') return new CliError(`${what}: no answer within ${timeoutMs / 1000} s`);
  if (err.code === 'unknown-peer') return new CliError(`${err.message} (tabmesh peers lists who is)`);
  if (err.code === 'server-unreachable' || err.code === 'closed') return new CliError(`${what} failed: [${err.code}] ${err.message}`, EXIT.connection);
  return new CliError(`${what} failed: [${err.code}] ${err.message}`);
}
