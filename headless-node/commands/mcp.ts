import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { VERSION } from '../../server/version.ts';
import { CliError, EXIT, intFlag, runCommand, UsageError, type CommandSpecShape } from '../cli/command-line.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, readCredential, readServerUrl } from '../cli/connection-options.ts';
import { MESH_HELP, MESH_OPTIONS, meshPlatformFrom } from '../cli/mesh-options.ts';
import { RUNNING_NODE_OPTIONS, runningNodeFor } from '../cli/running-node.ts';
import type { MeshAccess } from '../mcp/mesh-access.ts';
import { openMeshNodeAccess } from '../mcp/mesh-node-access.ts';
import { openMeshPeerAccess } from '../mcp/mesh-peer-access.ts';
import { createMeshToolServer } from '../mcp/mesh-tool-server.ts';
import { openDataDir } from '../session/data-dir.ts';
import { CREDENTIAL_FILE, savedCredential } from '../session/device-pairing.ts';

const spec = {
  name: 'mcp',
  options: {
    ...CONNECTION_OPTIONS, ...MESH_OPTIONS, ...RUNNING_NODE_OPTIONS,
    timeout: { type: 'string' },
  },
  help: `usage: tabmesh mcp (--data-dir DIR | --url URL (--key KEY | --token TOKEN)) [options]

An MCP server on stdin/stdout: its tools are the skills the mesh's agents offer right now. A tool
call runs the skill on the best agent, peer-to-peer; streamed chunks become progress
notifications; the tool list changes as agents join and leave. Start it from an MCP client
(docs/agent-protocols.md has a config to copy). Logs go to stderr.

${CONNECTION_HELP}
  --data-dir DIR     go through the tabmesh node running on DIR (its local API): no join, calls
                     over its open links, also while the server is down; when no node runs
                     there, join as a peer of this process with the device token the node saved
                     in DIR (then --url is needed)
  --one-shot         join as a peer of this process even when a node runs on --data-dir
  --timeout SECONDS  per tool call, 1-3600 (default 120)
${MESH_HELP}

Exit codes: 0 the client closed stdin, 2 bad flags, 3 server unreachable or credential refused.`,
} satisfies CommandSpecShape;

/** `tabmesh mcp`: the mesh as an MCP server over stdio. */
export async function run(args: string[]): Promise<number> {
  return runCommand(spec, args, async (values) => {
    const env = process.env;
    const timeoutMs = intFlag('timeout', values.timeout, 120, 1, 3600) * 1000;
    const log = (line: string) => process.stderr.write(`[tabmesh mcp] ${line}\n`);
    const node = await runningNodeFor(values);
    let access: MeshAccess;
    let where: string;
    if (node) {
      access = await openMeshNodeAccess(values['data-dir']!, node).catch((err: unknown) => {
        node.close();
        if ((err as { code?: string }).code === 'not-joined') throw new CliError(`the node on ${values['data-dir']} has not joined the mesh yet; start tabmesh mcp again once it has`, EXIT.connection);
        throw new CliError(`cannot use the node on ${values['data-dir']}: ${(err as Error).message}`, EXIT.connection);
      });
      where = `through the node on ${values['data-dir']} (${node.peerId ?? 'not joined yet'})`;
    } else {
      if (values['data-dir'] !== undefined && !values['one-shot'] && values.url === undefined && !env.TABMESH_URL) {
        throw new UsageError(`no tabmesh node runs on ${values['data-dir']} (nothing answers on its node.sock): start one there, or give --url to join with the device token saved in it`);
      }
      const url = readServerUrl(values, env);
      const secret = credentialOf(values, env, url);
      const platform = await meshPlatformFrom(values, env);
      access = await openMeshPeerAccess({ url, secret, platform, p2p: !values['no-p2p'] });
      where = `at ${url}`;
    }
    const { server, close } = createMeshToolServer({ access, timeoutMs, version: VERSION, log });
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      server.onclose = resolve;
      // StdioServerTransport does not notice the client closing stdin by itself.
      process.stdin.once('end', () => void server.close());
    });
    await server.connect(transport);
    log(`serving the mesh ${where} as MCP tools on stdio`);
    await closed;
    close();
    await access.close();
    return 0;
  });
}

function credentialOf(values: { key?: string; token?: string; 'data-dir'?: string }, env: NodeJS.ProcessEnv, url: string): string {
  const dirPath = values['data-dir'];
  if (dirPath === undefined) return readCredential(values, env)!;
  if (values.key !== undefined || values.token !== undefined) throw new UsageError('give either --key/--token or --data-dir, not both');
  const saved = savedCredential(openDataDir(dirPath), url);
  if (!saved) throw new UsageError(`--data-dir: no device token for ${url} in ${dirPath}/${CREDENTIAL_FILE} (pair a node there first: tabmesh node --code …)`);
  return saved.deviceToken;
}
