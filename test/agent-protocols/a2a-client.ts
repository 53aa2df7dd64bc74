import { SendMessageRequest, TaskState, type Task } from '@a2a-js/sdk';
import { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory, type Client } from '@a2a-js/sdk/client';

/** fetch that adds `Authorization: Bearer <secret>` to every request (card and JSON-RPC). */
export function bearerFetch(secret: string): typeof fetch {
  return (input, init = {}) => {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${secret}`);
    return fetch(input, { ...init, headers });
  };
}

/** The official A2A SDK client for the card at `baseUrl` (+ /.well-known/agent-card.json), authenticated with `secret`. */
export async function a2aClient(baseUrl: string, secret: string, opts: { polling?: boolean } = {}): Promise<Client> {
  const fetchImpl = bearerFetch(secret);
  const factory = new ClientFactory(ClientFactoryOptions.createFrom(ClientFactoryOptions.default, {
    transports: [new JsonRpcTransportFactory({ fetchImpl })],
    cardResolver: new DefaultAgentCardResolver({ fetchImpl }),
    ...(opts.polling ? { clientConfig: { polling: true } } : {}),
  }));
  return factory.createFromUrl(baseUrl);
}

let n = 0;
/** A SendMessageRequest from its JSON form (parts as `{text}` / `{data}`). */
export function message(parts: Array<{ text: string } | { data: unknown }>, metadata?: Record<string, unknown>, returnImmediately = false): SendMessageRequest {
  return SendMessageRequest.fromJSON({
    message: { messageId: `m-${Date.now()}-${n++}`, role: 'ROLE_USER', parts, ...(metadata ? { metadata } : {}) },
    ...(returnImmediately ? { configuration: { returnImmediately: true } } : {}),
  });
}

/** The result of sendMessage as a Task (the gateway always answers with one). */
export function asTask(result: unknown): Task {
  if (!result || typeof result !== 'object' || !('status' in result)) throw new Error(`expected a task, got ${JSON.stringify(result)}`);
  return result as Task;
}

/** The text of a task's status message (why it failed or was canceled). */
export const statusText = (t: Task): string => t.status?.message?.parts.map((p) => (p.content?.$case === 'text' ? p.content.value : '')).join('') ?? '';

/** The value of the first part of the first artifact: text as a string, data as the JSON value. */
export function artifactValue(t: Task): unknown {
  const part = t.artifacts[0]?.parts[0]?.content;
  return part?.$case === 'text' || part?.$case === 'data' ? part.value : undefined;
}

export { TaskState };
