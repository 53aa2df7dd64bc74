import { SkillError } from '../../mesh/agents.ts';
import { fetchFailureText } from './fetch-failure.ts';
import { readLlmConfig, type LlmConfig } from './llm-config.ts';
import { defineSkill } from './skill-definition.ts';
import { readSseEvents } from './sse-events.ts';

interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}
interface LlmInput {
  prompt?: string;
  system?: string;
  messages?: ChatMessage[];
  model?: string;
  temperature?: number;
  maxTokens?: number;
}
export interface LlmOutput {
  text: string;
  model: string;
  finishReason: string | null;
}

interface CompletionChunk {
  model?: string;
  choices?: Array<{ delta?: { content?: string | null }; message?: { content?: string | null }; finish_reason?: string | null }>;
  error?: { message?: string };
}

const ERROR_BODY_LIMIT = 2000;

/**
 * `llm`: a chat completion from any OpenAI-compatible endpoint, streamed: each chunk is a piece
 * of text, the output `{ text, model, finishReason }`.
 */
export const llmSkill = defineSkill<LlmInput>({
  name: 'llm',
  description: 'Chat completion from the OpenAI-compatible endpoint configured on this peer (OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL); streams text chunks.',
  inputSchema: {
    type: 'object',
    properties: {
      prompt: { type: 'string', maxLength: 100_000, description: 'the user message (or use messages)' },
      system: { type: 'string', maxLength: 20_000, description: 'an optional system message' },
      messages: {
        type: 'array', maxItems: 200,
        items: {
          type: 'object', required: ['role', 'content'], additionalProperties: false,
          properties: { role: { type: 'string', enum: ['system', 'user', 'assistant'] }, content: { type: 'string', maxLength: 100_000 } },
        },
      },
      model: { type: 'string', maxLength: 200 },
      temperature: { type: 'number', minimum: 0, maximum: 2 },
      maxTokens: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    },
    additionalProperties: false,
  },
  async *handler(input, { signal, env }) {
    const config = readLlmConfig(env, input.model);
    const messages = toMessages(input);
    const res = await post(config, {
      model: config.model, messages, stream: true,
      ...(input.temperature !== undefined ? { temperature: input.temperature } : {}),
      ...(input.maxTokens !== undefined ? { max_tokens: input.maxTokens } : {}),
    }, signal);
    const out: LlmOutput = { text: '', model: config.model, finishReason: null };
    // Some servers ignore stream:true and answer with one JSON body; accept that too.
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      const body = (await res.json().catch(() => undefined)) as CompletionChunk | undefined;
      const choice = body?.choices?.[0];
      if (typeof choice?.message?.content !== 'string') throw new SkillError('llm-error', 'llm: endpoint answered with neither an event stream nor a chat completion');
      out.text = choice.message.content;
      out.finishReason = choice.finish_reason ?? null;
      out.model = body?.model ?? out.model;
      if (out.text) yield out.text;
      return out;
    }
    for await (const event of readSseEvents(res.body!)) {
      if (event.data === '[DONE]') break;
      const chunk = parseChunk(event.data);
      if (chunk.error) throw new SkillError('llm-error', `llm: endpoint reported: ${chunk.error.message ?? 'unknown error'}`);
      if (chunk.model) out.model = chunk.model;
      const choice = chunk.choices?.[0];
      if (choice?.finish_reason) out.finishReason = choice.finish_reason;
      const piece = choice?.delta?.content;
      if (typeof piece === 'string' && piece !== '') {
        out.text += piece;
        yield piece;
      }
    }
    return out;
  },
});

function toMessages(input: LlmInput): ChatMessage[] {
  const messages: ChatMessage[] = [];
  if (input.system) messages.push({ role: 'system', content: input.system });
  if (input.messages) messages.push(...input.messages);
  if (input.prompt !== undefined) messages.push({ role: 'user', content: input.prompt });
  if (!messages.some((m) => m.role === 'user')) throw new SkillError('bad-input', 'llm: input needs "prompt" or "messages" with a user message');
  return messages;
}

async function post(config: LlmConfig, body: object, signal: AbortSignal): Promise<Response> {
  let res: Response;
  try {
    res = await fetch(`${config.baseUrl}/chat/completions`, {
      method: 'POST', signal, body: JSON.stringify(body),
      headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...(config.apiKey ? { authorization: `Bearer ${config.apiKey}` } : {}) },
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new SkillError('llm-unreachable', `llm: cannot reach ${config.baseUrl}: ${fetchFailureText(err)}`);
  }
  if (!res.ok) {
    const text = (await res.text().catch(() => '')).slice(0, ERROR_BODY_LIMIT);
    const detail = (parseChunk(text).error?.message ?? text) || res.statusText;
    throw new SkillError('llm-error', `llm: endpoint answered ${res.status}: ${detail}`);
  }
  if (!res.body) throw new SkillError('llm-error', 'llm: endpoint answered without a body');
  return res;
}

function parseChunk(data: string): CompletionChunk {
  try {
    const parsed = JSON.parse(data) as unknown;
    return typeof parsed === 'object' && parsed !== null ? (parsed as CompletionChunk) : {};
  } catch {
    return {};
  }
}
