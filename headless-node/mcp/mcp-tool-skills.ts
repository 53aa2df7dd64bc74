import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Skill } from '../../protocol/index.ts';

/** MCP tool names may use capitals and more; skill names are lower-case a-z 0-9 _ . - (max 64). */
export function skillNameFor(toolName: string): string | undefined {
  const name = toolName.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64);
  return name || undefined;
}

/** A tool as the skill that stands for it (same input schema; streaming: progress becomes chunks). */
export function skillForTool(tool: Tool, name: string): Skill {
  const description = tool.description ?? tool.title ?? `MCP tool "${tool.name}"`;
  return { name, description: description.slice(0, 1000), inputSchema: tool.inputSchema as Record<string, unknown>, streaming: true };
}

/**
 * A tool result as skill output: structured content when the tool gave it, else the text of its
 * text parts (one string), else the content array as it is (images, resources).
 */
export function outputOfToolResult(result: CallToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const content = result.content ?? [];
  if (content.length && content.every((c) => c.type === 'text')) return content.map((c) => (c as { text: string }).text).join('\n');
  return content;
}

/** The text an MCP tool error carries. */
export const errorTextOf = (result: CallToolResult): string =>
  (result.content ?? []).filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n') || 'the tool reported an error';
