import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ProgressNotificationSchema, ToolListChangedNotificationSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Skill } from '../../protocol/index.ts';
import { SkillError } from '../../web/mesh/index.ts';
import { createBackoff } from '../../protocol/backoff.ts';
import { checkInput, type InputSchema } from '../../web/agents/skills/input-schema.ts';
import { cleanSpawnArgs } from '../spawn/clean-spawn.ts';
import { errorTextOf, outputOfToolResult, skillForTool, skillNameFor } from './mcp-tool-skills.ts';

export interface McpMountOptions {
  /** The server's command line, split (`--mcp-server "COMMAND ARGS"`). */
  argv: string[];
  /** Skill names already taken (built-ins, earlier servers): a tool with one of these is skipped. */
  taken(name: string): boolean;
  /** The mounted skills changed (server up, down, or its tool list changed). */
  onChange(): void;
  log(line: string): void;
  /** Restart delays after an exit: full-jitter backoff from this base (default 500 ms, cap 30 s). */
  restartBaseMs?: number;
}

export interface McpMount {
  readonly label: string;
  /** The skills this server offers now (none while it is down). */
  skills(): Skill[];
  has(skill: string): boolean;
  run(skill: string, input: unknown, ctx: { signal: AbortSignal; onChunk?: (data: unknown) => void }): Promise<unknown>;
  /** The running server's process id (the clean-exec launcher's child's parent), for diagnostics. */
  pid(): number | undefined;
  close(): Promise<void>;
}

/** The environment an MCP server gets: the node's, without tabmesh's own secrets. */
function serverEnv(): Record<string, string> {
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !e[0].startsWith('TABMESH_')));
}

/**
 * One `--mcp-server`: starts it over stdio (through clean-exec, so it inherits none of the
 * peer's sockets), offers its tools as skills, and restarts it with backoff when it exits —
 * its skills are gone while it is down.
 */
export function mountMcpServer(o: McpMountOptions): McpMount {
  const [command, ...args] = o.argv as [string, ...string[]];
  const label = o.argv.join(' ');
  const backoff = createBackoff({ baseMs: o.restartBaseMs ?? 500, maxMs: 30_000 });
  let client: Client | undefined;
  let transport: StdioClientTransport | undefined;
  let tools = new Map<string, { tool: string; skill: Skill }>();
  let closed = false;
  let restartTimer: ReturnType<typeof setTimeout> | undefined;
  // Progress is routed here, not through callTool's `onprogress`: the SDK handles a notification a
  // microtask later than a response read in the same chunk, and drops it once the call has answered.
  const progressSinks = new Map<string, (data: unknown) => void>();
  let progressTokens = 0;

  const setTools = (next: typeof tools) => {
    tools = next;
    o.onChange();
  };

  const listTools = async (c: Client) => {
    const next = new Map<string, { tool: string; skill: Skill }>();
    for (const tool of (await c.listTools()).tools) {
      const name = skillNameFor(tool.name);
      if (!name || o.taken(name) || next.has(name)) {
        o.log(`MCP server "${label}": tool "${tool.name}" not offered (skill name ${name ? `"${name}" already taken` : 'empty'})`);
        continue;
      }
      next.set(name, { tool: tool.name, skill: skillForTool(tool, name) });
    }
    return next;
  };

  const start = async () => {
    if (closed) return;
    const spawnArgs = cleanSpawnArgs(command, args);
    const t = new StdioClientTransport({ ...spawnArgs, env: serverEnv(), stderr: 'inherit' });
    const c = new Client({ name: 'tabmesh-node', version: '1' });
    let up = false;
    t.onclose = () => {
      if (client === c) {
        client = undefined;
        transport = undefined;
        if (tools.size) setTools(new Map());
      }
      if (closed) return;
      const wait = backoff.next();
      o.log(`MCP server "${label}" ${up ? 'exited' : 'failed to start'}; its skills are offline, restarting in ${(wait / 1000).toFixed(1)} s`);
      restartTimer = setTimeout(() => void start(), wait);
    };
    try {
      await c.connect(t);
      c.setNotificationHandler(ProgressNotificationSchema, (n) => {
        const { progressToken, ...progress } = n.params;
        progressSinks.get(String(progressToken))?.(progress);
      });
      c.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        void listTools(c).then((next) => client === c && setTools(next)).catch((err: unknown) => o.log(`MCP server "${label}": tools/list failed: ${(err as Error).message}`));
      });
      const next = await listTools(c);
      up = true;
      client = c;
      transport = t;
      backoff.reset();
      setTools(next);
      o.log(`MCP server "${label}" up (pid ${t.pid ?? '?'}): ${[...next.keys()].join(', ') || 'no tools'}`);
    } catch (err) {
      o.log(`MCP server "${label}": ${(err as Error).message}`);
      await t.close().catch(() => undefined);
    }
  };
  void start();

  return {
    label,
    skills: () => [...tools.values()].map((t) => t.skill),
    has: (skill) => tools.has(skill),
    pid: () => transport?.pid ?? undefined,
    async run(skill, input, ctx) {
      const entry = tools.get(skill);
      const c = client;
      if (!entry || !c) throw new SkillError('unknown-skill', `"${skill}" is not offered right now (its MCP server is down)`);
      const args = input ?? {};
      const problem = checkInput(entry.skill.inputSchema as InputSchema, args);
      if (problem) throw new SkillError('bad-input', `${skill}: ${problem}`);
      let result: CallToolResult;
      const progressToken = ctx.onChunk ? `tabmesh-${++progressTokens}` : undefined;
      if (progressToken) progressSinks.set(progressToken, ctx.onChunk!);
      try {
        result = (await c.callTool({ name: entry.tool, arguments: args as Record<string, unknown>, ...(progressToken ? { _meta: { progressToken } } : {}) }, undefined, {
          signal: ctx.signal,
          // The caller's timeout governs (the mesh aborts `signal`); no second clock here.
          timeout: 24 * 3_600_000,
        })) as CallToolResult;
      } catch (err) {
        if (ctx.signal.aborted) throw new SkillError('cancelled', `${skill}: cancelled`);
        throw new SkillError('mcp-error', `${skill}: the MCP server failed: ${(err as Error).message}`);
      } finally {
        if (progressToken) progressSinks.delete(progressToken);
      }
      if (result.isError) throw new SkillError('tool-error', `${skill}: ${errorTextOf(result)}`);
      return outputOfToolResult(result);
    },
    async close() {
      closed = true;
      clearTimeout(restartTimer);
      await client?.close().catch(() => undefined);
    },
  };
}
