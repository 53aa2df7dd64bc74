import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { VERSION } from '../../server/version.ts';
import { intFlag, runCommand, UsageError, type CommandSpecShape } from '../cli/command-line.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, readCredential, readServerUrl } from '../cli/connection-options.ts';
import { MESH_HELP, MESH_OPTIONS, meshPlatformFrom } from '../cli/mesh-options.ts';
import { openMeshPeerAccess } from '../mcp/mesh-peer-access.ts';
import { createMeshToolServer } from '../mcp/mesh-tool-server.ts';
import { openDataDir } from '../session/data-dir.ts';
import { CREDENTIAL_FILE, savedCredential } from '../session/device-pairing.ts';

const spec = {
  name: 'mcp',
  options: {
    ...CONNECTION_OPTIONS, ...MESH_OPTIONS,
    'data-dir': { type: 'string' },
    timeout: { type: 'string' },
  },
  help: `usage: tabmesh mcp --url URL (--key KEY | --token TOKEN | --data-dir DIR) [options]

An MCP server on stdin/stdout: its tools are the skills the mesh's agents offer right now. A tool
call runs the skill on the best agent, peer-to-peer; streamed chunks become progress
notifications; the tool list changes as agents join and leave. Start it from an MCP client
(docs/agent-protocols.md has a config to copy). Logs go to stderr.

${CONNECTION_HELP}
  --data-dir DIR     use the device token a paired \`tabmesh node\` saved in DIR
  --timeout SECONDS  per tool call, 1-3600 (default 120)
${MESH_HELP}

Exit codes: 0 the client closed stdin, 2 bad flags, 3 server unreachable or credential refused.`,
} satisfies CommandSpecShape;

/** `tabmesh mcp`: the mesh as an MCP server over stdio. */
export async function run(args: string[]): Promise<number> {
  return runCommand(spec, args, async (values) => {
    const env = process.env;
    const url = readServerUrl(values, env);
    const secret = credentialOf(values, env, url);
    const timeoutMs = intFlag('timeout', values.timeout, 120, 1, 3600) * 1000;
    const platform = await meshPlatformFrom(values, env);
    const log = (line: string) => process.stderr.write(`[tabmesh mcp] ${line}\n`);

    const access = await openMeshPeerAccess({ url, secret, platform, p2p: !values['no-p2p'] });
    const { server, close } = createMeshToolServer({ access, timeoutMs, version: VERSION, log });
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      server.onclose = resolve;
      // StdioServerTransport does not notice the client closing stdin by itself.
      process.stdin.once('end', () => void server.close());
    });
    await server.connect(transport);
    log(`serving the mesh at ${url} as MCP tools on stdio`);
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
