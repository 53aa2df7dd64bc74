import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SkillError } from '../../web/mesh/agent-host.ts';
import { llmSkill } from '../../web/agents/skills/llm.ts';
import { runSkill } from '../../web/agents/skills/run-skill.ts';
import { freePort } from '../helpers/free-port.ts';
import { startFakeOpenAi, type FakeOpenAi } from './helpers/fake-openai.ts';

let fake: FakeOpenAi;
let env: Record<string, string>;
beforeAll(async () => {
  fake = await startFakeOpenAi({ apiKey: 'sk-test' });
  env = { OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: 'sk-test', OPENAI_MODEL: 'fake-model' };
});
afterAll(() => fake.close());

const run = (input: unknown, e: Record<string, string | undefined>, onChunk?: (c: unknown) => void, signal = new AbortController().signal) =>
  runSkill(llmSkill, input, { signal, env: e, onChunk });
const failure = async (p: Promise<unknown>) => (await p.then(() => undefined, (e: unknown) => e)) as SkillError;

describe('llm skill against an OpenAI-compatible streaming server', () => {
  it('streams the completion as text chunks in order and returns the whole text', async () => {
    fake.mode = 'stream';
    const chunks: unknown[] = [];
    const out = await run({ prompt: 'hello mesh of agents', system: 'be loud', temperature: 0.5, maxTokens: 20 }, env, (c) => chunks.push(c));
    expect(chunks).toEqual(['HELLO ', 'MESH ', 'OF ', 'AGENTS']);
    expect(out).toEqual({ text: 'HELLO MESH OF AGENTS', model: 'fake-model', finishReason: 'stop' });
    const req = fake.requests.at(-1)!;
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toMatchObject({
      model: 'fake-model', stream: true, temperature: 0.5, max_tokens: 20,
      messages: [{ role: 'system', content: 'be loud' }, { role: 'user', content: 'hello mesh of agents' }],
    });
  });

  it('accepts a non-streamed JSON answer and a model from the input', async () => {
    fake.mode = 'json';
    const out = await run({ messages: [{ role: 'user', content: 'plain answer' }], model: 'other' }, env);
    expect(out).toEqual({ text: 'PLAIN ANSWER', model: 'other', finishReason: 'stop' });
  });

  it('says clearly when no endpoint or model is configured', async () => {
    const none = await failure(run({ prompt: 'x' }, {}));
    expect(none.code).toBe('not-configured');
    expect(none.message).toMatch(/set OPENAI_BASE_URL/);
    const noModel = await failure(run({ prompt: 'x' }, { OPENAI_BASE_URL: fake.baseUrl }));
    expect([noModel.code, noModel.message]).toEqual(['not-configured', 'llm: no model; set OPENAI_MODEL on the hosting peer or pass input.model']);
  });

  it('reports the endpoint error message, and unreachable endpoints', async () => {
    fake.mode = 'stream';
    const denied = await failure(run({ prompt: 'x' }, { ...env, OPENAI_API_KEY: 'sk-wrong' }));
    expect([denied.code, denied.message]).toEqual(['llm-error', 'llm: endpoint answered 401: Incorrect API key provided']);
    const closed = `http://127.0.0.1:${await freePort()}/v1`;
    const down = await failure(run({ prompt: 'x' }, { ...env, OPENAI_BASE_URL: closed }));
    expect([down.code, down.message]).toEqual(['llm-unreachable', `llm: cannot reach ${closed}: ECONNREFUSED`]);
  });

  it('refuses input without a user message', async () => {
    const err = await failure(run({ system: 'only system' }, env));
    expect([err.code, err.message]).toEqual(['bad-input', 'llm: input needs "prompt" or "messages" with a user message']);
    expect((await failure(run({ prompt: 1 }, env))).message).toBe('llm: input.prompt: must be string (got number)');
  });

  it('is cancelled while the endpoint is still thinking', async () => {
    fake.mode = 'hang';
    const controller = new AbortController();
    const pending = run({ prompt: 'slow' }, env, undefined, controller.signal);
    const count = fake.requests.length;
    await expect.poll(() => fake.requests.length).toBe(count + 1);
    controller.abort();
    expect((await failure(pending)).code).toBe('cancelled');
  });
});
