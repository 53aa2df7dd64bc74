import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOpenAi {
  /** Base URL to put in OPENAI_BASE_URL (ends in /v1). */
  baseUrl: string;
  requests: Array<{ headers: IncomingHttpHeaders; body: { model: string; messages: unknown[]; stream?: boolean; [k: string]: unknown } }>;
  /** `stream`: SSE deltas (default); `json`: one non-streamed completion; `hang`: never answers. */
  mode: 'stream' | 'json' | 'hang';
  close(): Promise<void>;
}

/**
 * A real HTTP server speaking the OpenAI chat-completions wire format, streamed as the API does
 * (`data: {chunk}` events, then `data: [DONE]`). The reply's pieces are the words of the last
 * user message, upper-cased, so tests can check what travelled both ways.
 */
export async function startFakeOpenAi(opts: { apiKey?: string } = {}): Promise<FakeOpenAi> {
  const hanging = new Set<ServerResponse>();
  const fake: FakeOpenAi = { baseUrl: '', requests: [], mode: 'stream', close: async () => undefined };
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8').on('data', (d: string) => (raw += d)).on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return void res.writeHead(404).end();
      if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        res.writeHead(401, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ error: { message: 'Incorrect API key provided', type: 'invalid_request_error' } }));
      }
      const body = JSON.parse(raw) as FakeOpenAi['requests'][number]['body'];
      fake.requests.push({ headers: req.headers, body });
      const last = [...(body.messages as Array<{ role: string; content: string }>)].reverse().find((m) => m.role === 'user');
      const pieces = (last?.content ?? '').toUpperCase().split(/(?<= )/);
      if (fake.mode === 'hang') return void hanging.add(res.writeHead(200, { 'content-type': 'text/event-stream' }));
      if (fake.mode === 'json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(JSON.stringify({ model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: pieces.join('') }, finish_reason: 'stop' }] }));
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const event = (delta: object, finish: string | null) =>
        `data: ${JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: body.model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
      res.write(event({ role: 'assistant', content: '' }, null));
      for (const piece of pieces) res.write(event({ content: piece }, null));
      res.write(event({}, 'stop'));
      res.end('data: [DONE]\n\n');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = () => {
    for (const res of hanging) res.destroy();
    server.closeAllConnections();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return fake;
}
