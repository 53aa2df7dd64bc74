import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { OfferedSkill } from './mesh-access.ts';

/**
 * Skills as MCP tools. MCP wants an object schema for a tool's arguments; a skill whose input is
 * an object keeps its schema, one that accepts anything takes the arguments object itself, and
 * any other input (a string, an array) is wrapped as the `input` argument.
 */
export interface SkillTool {
  tool: Tool;
  /** The skill input for the tool's arguments. */
  inputOf(args: Record<string, unknown> | undefined): unknown;
  streaming: boolean;
}

const CONSTRAINTS = ['type', 'properties', 'required', 'items', 'enum', 'const', 'anyOf', 'oneOf', 'allOf', 'minimum', 'maximum', 'minLength', 'maxLength', 'pattern'];

export function skillTool(skill: OfferedSkill): SkillTool {
  const schema = skill.inputSchema ?? {};
  const offeredBy = skill.agents.length === 1 ? `offered by ${skill.agents[0]}` : `offered by ${skill.agents.length} agents; runs on the least loaded`;
  const description = `${skill.description ?? `tabmesh skill "${skill.name}"`} (${offeredBy})`;
  const annotations = { title: skill.name, openWorldHint: true };
  if (schema.type === 'object') {
    return { tool: { name: skill.name, description, inputSchema: schema as Tool['inputSchema'], annotations }, inputOf: (args) => args ?? {}, streaming: skill.streaming === true };
  }
  if (!CONSTRAINTS.some((k) => k in schema)) {
    return { tool: { name: skill.name, description, inputSchema: { type: 'object' }, annotations }, inputOf: (args) => args ?? {}, streaming: skill.streaming === true };
  }
  return {
    tool: { name: skill.name, description, inputSchema: { type: 'object', properties: { input: schema }, required: ['input'] }, annotations },
    inputOf: (args) => args?.input,
    streaming: skill.streaming === true,
  };
}

/** Skill output as a tool result: a string as text; JSON as text plus structured content (an object; other values under `result`). */
export function toolResult(output: unknown): { content: Array<{ type: 'text'; text: string }>; structuredContent?: Record<string, unknown> } {
  if (typeof output === 'string') return { content: [{ type: 'text', text: output }] };
  const json = JSON.stringify(output ?? null);
  const structured = typeof output === 'object' && output !== null && !Array.isArray(output) ? (output as Record<string, unknown>) : { result: output ?? null };
  return { content: [{ type: 'text', text: json }], structuredContent: structured };
}

/** A stable text for "did the tool list change". */
export const toolsSignature = (tools: Tool[]): string => JSON.stringify(tools.map((t) => [t.name, t.description, t.inputSchema]));
