import { AGENT_NAME_PATTERN } from '../../protocol/index.ts';
import { MeshError } from '../../web/mesh/index.ts';
import { DEFAULT_MAX_LINKS } from '../../web/mesh/index.ts';
import { createWorkerAgentHost, SkillLoadError } from '../agents/worker-agent-host.ts';
import { CliError, EXIT, intFlag, runCommand, UsageError, type CommandSpecShape } from '../cli/command-line.ts';
import { CONNECTION_OPTIONS, readServerUrl } from '../cli/connection-options.ts';
import { MESH_HELP, MESH_OPTIONS, meshPlatformFrom } from '../cli/mesh-options.ts';
import { withMcpServers } from '../mcp/mcp-agent-host.ts';
import { splitCommand } from '../mcp/split-command.ts';
import { isCredentialRefusal, refusalError } from '../cli/credential-refusal.ts';
import { checkCredentialFlags, resolveNodeCredential, type NodeCredential } from '../cli/node-credential.ts';
import { firstToken, runNode } from '../cli/node-runtime.ts';
import { defaultDataDir, openDataDir } from '../session/data-dir.ts';
import { CREDENTIAL_FILE } from '../session/device-pairing.ts';
import { createDynamicAgentHost } from '../local-api/local-agents.ts';
import { SocketClaimError, startLocalApiServer } from '../local-api/server.ts';
import { loadNodeIdentity } from '../session/node-identity.ts';
import { createFilePinStore } from '../session/pin-file.ts';
import { createNodeTokenSource } from '../session/token-source.ts';
import { defaultNodeSkills, NODE_BUILTIN_SKILLS } from '../skills/node-skills.ts';

const spec = {
  name: 'node',
  options: {
    ...CONNECTION_OPTIONS, ...MESH_OPTIONS,
    code: { type: 'string' },
    name: { type: 'string' },
    skills: { type: 'string' },
    'skills-module': { type: 'string' },
    'data-dir': { type: 'string' },
    workers: { type: 'string' },
    'local-api-port': { type: 'string' },
    'no-local-api': { type: 'boolean' },
    'max-links': { type: 'string' },
    quiet: { type: 'boolean' },
    'mcp-server': { type: 'string', multiple: true },
  },
  help: `usage: tabmesh node --url URL (--key KEY | --code CODE | --token TOKEN) --name NAME [options]

Joins the mesh as a headless peer and hosts an agent whose skills run in worker threads.
Stops cleanly on SIGTERM or Ctrl-C (deregisters, says bye to its peers).

  --url URL              server URL (env TABMESH_URL)
  --key KEY              API key (env TABMESH_KEY)
  --code CODE            pair with a 6-digit code (or 12-character invite) from the hub; waits for
                         approval and saves the device token in the data dir for the next start
  --token TOKEN          device token (tmd_…)
                         (none of the three: the device token saved in the data dir is used)
  --name NAME            agent name, 1-64 of A-Z a-z 0-9 _ . - (required)
  --skills LIST          built-in skills, comma-separated; default echo,time,sysinfo,chat (+llm when
                         OPENAI_BASE_URL or OPENAI_API_KEY is set); available: ${[...NODE_BUILTIN_SKILLS.keys()].join(', ')}
  --skills-module PATH   ES module whose exported functions are more skills (docs/skills.md)
  --data-dir DIR         identity key, pinned peer keys and device token, kept private
                         (default ~/.tabmesh/nodes/NAME)
  --workers N            skill worker threads, 1-16 (default 1)
  --local-api-port PORT  also serve the local API on 127.0.0.1:PORT (0: any free port) with a
                         token, written with the port to local-api.json in the data dir
                         (docs/local-api.md); the Unix socket DATA_DIR/node.sock is always served
  --no-local-api         serve no local API (then call/ping/peers --data-dir join one-shot)
  --mcp-server "CMD ARGS"  start this MCP server (stdio) and offer its tools as skills of the agent;
                         repeatable; restarted with backoff when it exits (docs/agent-protocols.md)
  --max-links N          DataChannels this peer keeps at most, 1-1024 (default 64); calls to
                         other peers open a link on demand or use the server's relay
${MESH_HELP}
  --quiet                log only errors

Exit codes: 0 stopped by a signal, 2 bad flags or skills module, or another node already runs
on the data dir, 3 server unreachable at a pairing step or credential refused/revoked (one line
says which, and the command that pairs this node again).`,
} satisfies CommandSpecShape;

/** `tabmesh node`: a long-running headless peer. */
export async function run(args: string[]): Promise<number> {
  return runCommand(spec, args, async (values) => {
    const env = process.env;
    const url = readServerUrl(values, env);
    if (values.name === undefined) throw new UsageError('--name is required');
    const name = values.name;
    if (!AGENT_NAME_PATTERN.test(name)) throw new UsageError(`--name must be 1-64 chars of A-Z a-z 0-9 _ . - starting with a letter or digit (got "${name}")`);
    checkCredentialFlags(values);
    const builtins = values.skills === undefined ? defaultNodeSkills(env) : values.skills.split(',').map((s) => s.trim()).filter(Boolean);
    const workers = intFlag('workers', values.workers, 1, 1, 16);
    const mcpServers = (values['mcp-server'] ?? []).map((line: string) => {
      let argv: string[];
      try {
        argv = splitCommand(line);
      } catch (err) {
        throw new UsageError(`--mcp-server "${line}": ${(err as Error).message}`);
      }
      if (!argv.length) throw new UsageError('--mcp-server needs a command, e.g. --mcp-server "npx @modelcontextprotocol/server-everything"');
      return argv;
    });
    const maxLinks = intFlag('max-links', values['max-links'], DEFAULT_MAX_LINKS.node, 1, 1024);
    const platform = await meshPlatformFrom(values, env);
    const log = values.quiet ? () => undefined : (line: string) => console.error(`[tabmesh node] ${line}`);

    const tcpPort = values['local-api-port'] === undefined ? undefined : intFlag('local-api-port', values['local-api-port'], 0, 0, 65535);
    if (tcpPort !== undefined && values['no-local-api']) throw new UsageError('give either --local-api-port or --no-local-api, not both');

    const dir = openDataDir(values['data-dir'] ?? defaultDataDir(name));
    // First: the socket is the one-node-per-data-dir lock, so a second node stops before joining.
    const localApi = values['no-local-api'] ? undefined : await startLocalApiServer({ dir, log, ...(tcpPort === undefined ? {} : { tcpPort }) })
      .catch((err: unknown) => {
        throw err instanceof SocketClaimError ? new CliError(err.message, EXIT.usage) : err;
      });
    const identity = await loadNodeIdentity(dir);
    const workerHost = await createWorkerAgentHost({ name, builtins, workers, ...(values['skills-module'] ? { skillsModule: values['skills-module'] } : {}) })
      .catch(async (err: unknown) => {
        await localApi?.close();
        throw err instanceof SkillLoadError ? new UsageError(err.message) : err;
      });
    const mcpHost = mcpServers.length ? withMcpServers(workerHost, mcpServers, log) : undefined;
    const host = createDynamicAgentHost(mcpHost ?? workerHost, mcpHost?.onSkillsChanged);

    const shutdown = new AbortController();
    const onSignal = (sig: NodeJS.Signals) => {
      if (shutdown.signal.aborted) process.exit(130);
      shutdown.abort(new Error(sig));
      // A stuck shutdown must not keep a service manager waiting forever.
      setTimeout(() => process.exit(EXIT.failed), 10_000).unref();
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const dataDir = values['data-dir'];
    let credential: NodeCredential | undefined;
    try {
      const context = { url, name, values, env, dir, signal: shutdown.signal, log };
      credential = await resolveNodeCredential(context);
      let tokens = createNodeTokenSource({ url, secret: credential.secret, identity });
      try {
        await firstToken(url, tokens, shutdown.signal, log);
      } catch (err) {
        // A refused saved token with --code given: pair again now (the refused file is replaced).
        if (!(credential.source === 'saved' && isCredentialRefusal(err) && values.code !== undefined)) throw err;
        log(`the saved device token was refused (${err.code === 'revoked' ? 'revoked' : 'unknown to the server'}); pairing again with --code`);
        dir.remove(CREDENTIAL_FILE);
        credential = await resolveNodeCredential(context);
        tokens = createNodeTokenSource({ url, secret: credential.secret, identity });
        await firstToken(url, tokens, shutdown.signal, log);
      }
      const pins = createFilePinStore(dir, log);
      return await runNode({
        url, platform, tokens, host, identity, pins, p2p: !values['no-p2p'], maxLinks, log, signal: shutdown.signal,
        onJoined: (j) => {
          if (!localApi) return;
          localApi.attach({ ...j, host });
          log(`local API on ${localApi.socketPath}${localApi.tcpPort === undefined ? '' : ` and 127.0.0.1:${localApi.tcpPort}`}`);
        },
        ...(mcpHost ? { onSkillsChanged: mcpHost.onSkillsChanged } : {}),
      });
    } catch (err) {
      // The saved token stays where it is: nothing is lost if the server's data comes back.
      if (credential && isCredentialRefusal(err)) {
        throw refusalError(err, { url, name, dataDir: dir.path, customDataDir: dataDir !== undefined, credential });
      }
      // SIGTERM while pairing or waiting for the server: a clean stop, not a failure.
      if (shutdown.signal.aborted && !(err instanceof CliError) && !(err instanceof MeshError)) return EXIT.ok;
      throw err;
    } finally {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      await localApi?.close();
      await host.close();
    }
  });
}
