import { CHAT_SKILL } from '../../mesh/agents.ts';
import { llmSkill, type LlmOutput } from '../skills/llm.ts';
import { llmConfigured } from '../skills/llm-config.ts';
import { defineSkill, type SkillDefinition } from '../skills/skill-definition.ts';

interface ChatInput {
  text: string;
  from?: string;
  agent?: string;
}

/**
 * `chat` for browser agents: answered by the configured LLM endpoint (streamed) when the hub has
 * one, else echoed back word by word so the streaming path works out of the box.
 */
export const browserChatSkill = defineSkill<ChatInput>({
  name: CHAT_SKILL,
  description: 'Answers chat messages: through the llm endpoint when configured, otherwise by echoing the message back, streamed word by word.',
  inputSchema: {
    type: 'object',
    properties: { text: { type: 'string', maxLength: 100_000 }, from: { type: 'string' }, agent: { type: 'string' } },
    required: ['text'],
  },
  async *handler({ text }, ctx) {
    if (llmConfigured(ctx.env)) {
      const stream = llmSkill.handler({ prompt: text }, ctx) as AsyncGenerator<unknown, LlmOutput>;
      const out = yield* stream;
      return out.text;
    }
    const reply = `You said: ${text}`;
    for (const piece of reply.split(/(?<=\s)/u)) yield piece;
    return reply;
  },
}) as SkillDefinition;
