import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { MeshError } from '../../web/mesh/index.ts';
import type { MeshAccess } from './mesh-access.ts';
import { skillTool, toolResult, toolsSignature, type SkillTool } from './skill-tools.ts';

export interface MeshToolServerOptions {
  access: MeshAccess;
  /** Per tool call, ms. */
  timeoutMs: number;
  version: string;
  /** Re-reads the skill list this often even without peer events, ms (default 10 s). */
  refreshEveryMs?: number;
  log?: (line: string) => void;
}

/**
 * An MCP server whose tools are the mesh's skills. The list follows the mesh: peers joining or
 * leaving trigger a re-read (again shortly after, because an agent registers its skills after
 * it joins), and a changed list is announced with `notifications/tools/list_changed`.
 */
export function createMeshToolServer(o: MeshToolServerOptions): { server: Server; close(): void } {
  const server = new Server({ name: 'tabmesh', version: o.version }, { capabilities: { tools: { listChanged: true } } });
  let tools = new Map<string, SkillTool>();
  let signature = '';
  let initialized = false;
  const timers = new Set<ReturnType<typeof setTimeout>>();

  const load = async () => {
    const next = new Map((await o.access.skills()).map((s) => [s.name, skillTool(s)]));
    const sig = toolsSignature([...next.values()].map((t) => t.tool));
    tools = next;
    if (sig !== signature) {
      const first = signature === '';
      signature = sig;
      if (!first && initialized) await server.sendToolListChanged().catch(() => undefined);
    }
    return next;
  };
  const reload = () => void load().catch((err: unknown) => o.log?.(`could not read the skill list: ${(err as Error).message}`));
  const later = (ms: number) => {
    const t = setTimeout(() => (timers.delete(t), reload()), ms);
    timers.add(t);
  };
  server.oninitialized = () => {
    initialized = true;
  };
  const unsubscribe = o.access.onPeersChanged(() => {
    reload();
    later(500);
    later(2000);
  });
  const interval = setInterval(reload, o.refreshEveryMs ?? 10_000);

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [...(await load()).values()].map((t) => t.tool) }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const name = request.params.name;
    const tool = tools.get(name) ?? (await load()).get(name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `unknown tool "${name}": no active agent in the mesh offers this skill (tools/list shows what is on offer)`);
    const progressToken = request.params._meta?.progressToken;
    let progress = 0;
    // Sent in order and all before the result: the client drops progress for a request it has answered.
    let notified = Promise.resolve();
    const onChunk = progressToken === undefined || !tool.streaming ? undefined : (chunk: unknown) => {
      const n = ++progress;
      notified = notified.then(() => extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress: n, message: typeof chunk === 'string' ? chunk : JSON.stringify(chunk) },
      })).catch(() => undefined);
    };
    try {
      const result = await o.access.call(name, tool.inputOf(request.params.arguments), { timeoutMs: o.timeoutMs, signal: extra.signal, ...(onChunk ? { onChunk } : {}) });
      await notified;
      return toolResult(result.output);
    } catch (err) {
      // Skill failures are the tool's result (the model can read and react), not protocol errors.
      const text = err instanceof MeshError
        ? err.code === 'timeout' && !err.remote ? `[timeout] "${name}" gave no answer within ${o.timeoutMs / 1000} s` : `[${err.code}] ${err.message}`
        : `[failed] ${err instanceof Error ? err.message : String(err)}`;
      return { content: [{ type: 'text', text }], isError: true };
    }
  });

  return {
    server,
    close() {
      unsubscribe();
      clearInterval(interval);
      for (const t of timers) clearTimeout(t);
    },
  };
}
