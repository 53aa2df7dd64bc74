import { SkillError } from '../../mesh/agents.ts';

export interface LlmConfig {
  /** Base URL ending before `/chat/completions`, e.g. http://localhost:11434/v1. */
  baseUrl: string;
  apiKey?: string;
  model: string;
}

const OPENAI_DEFAULT_BASE = 'https://api.openai.com/v1';

/** True when the environment names an endpoint (so hosts may offer `llm` by default). */
export function llmConfigured(env: Readonly<Record<string, string | undefined>>): boolean {
  return Boolean(env.OPENAI_BASE_URL || env.OPENAI_API_KEY);
}

/**
 * Reads OPENAI_BASE_URL / OPENAI_API_KEY / OPENAI_MODEL (the model may come from the input).
 * The base URL defaults to OpenAI's only when a key is set; throws `not-configured` otherwise.
 */
export function readLlmConfig(env: Readonly<Record<string, string | undefined>>, modelOverride?: string): LlmConfig {
  const apiKey = env.OPENAI_API_KEY || undefined;
  const base = env.OPENAI_BASE_URL || (apiKey ? OPENAI_DEFAULT_BASE : undefined);
  if (!base) {
    throw new SkillError('not-configured', 'llm: no endpoint configured; set OPENAI_BASE_URL (any OpenAI-compatible server) and/or OPENAI_API_KEY on the peer that hosts the skill');
  }
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new SkillError('not-configured', `llm: OPENAI_BASE_URL is not a URL: "${base}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SkillError('not-configured', 'llm: OPENAI_BASE_URL must be http(s)');
  const model = modelOverride || env.OPENAI_MODEL;
  if (!model) throw new SkillError('not-configured', 'llm: no model; set OPENAI_MODEL on the hosting peer or pass input.model');
  return { baseUrl: url.href.replace(/\/+$/, ''), apiKey, model };
}
