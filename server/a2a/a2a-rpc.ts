import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { HttpError } from '../http/http-error.ts';
import { readCapped } from '../http/read-json.ts';
import { parseJson, validate, type Task } from '../../protocol/index.ts';
import type { A2ACaller, A2AGateway } from './a2a-gateway.ts';
import { outputArtifact, toWireTask, type A2ARecord } from './a2a-task-view.ts';
import { RpcCode, RpcError, RpcRequestSchema, SendMessageParamsSchema, TaskIdParamsSchema, type RpcId, type StreamEvent } from './a2a-wire.ts';
import type { AgentCardJson } from './agent-card.ts';

/** A2A methods this gateway does not offer (push notifications, task listing, resubscription). */
const UNSUPPORTED = new Set([
  'ListTasks', 'SubscribeToTask', 'CreateTaskPushNotificationConfig', 'GetTaskPushNotificationConfig',
  'ListTaskPushNotificationConfigs', 'DeleteTaskPushNotificationConfig',
]);

export interface RpcContext {
  gateway: A2AGateway;
  caller: A2ACaller;
  /** Set on a per-agent endpoint: every task runs on this agent. */
  agent?: string;
  maxBodyBytes: number;
  card(): Promise<AgentCardJson>;
}

const reply = (c: Context, id: RpcId, result: unknown) => c.json({ jsonrpc: '2.0', id, result });
const fail = (c: Context, id: RpcId, err: RpcError) =>
  c.json({ jsonrpc: '2.0', id, error: { code: err.code, message: err.message, ...(err.data ? { data: err.data } : {}) } });

/** Control-plane refusals (input too large, too many open tasks, …) as JSON-RPC errors keeping their code. */
function asRpcError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof HttpError) {
    const code = err.status >= 500 || err.status === 429 ? RpcCode.internal : RpcCode.invalidParams;
    return new RpcError(code, err.message, { code: err.code });
  }
  throw err;
}

function params<S extends Parameters<typeof validate>[0]>(schema: S, raw: unknown) {
  const r = validate(schema, raw ?? {});
  if (!r.ok) throw new RpcError(RpcCode.invalidParams, `params.${r.message}`);
  return r.value;
}

/** Answers one A2A JSON-RPC request (a JSON response, or an SSE stream for SendStreamingMessage). */
export async function handleRpc(c: Context, o: RpcContext): Promise<Response> {
  const body = parseJson(await readCapped(c, o.maxBodyBytes));
  if (body === undefined) return fail(c, null, new RpcError(RpcCode.parseError, 'body is not valid JSON'));
  const request = validate(RpcRequestSchema, body);
  const rawId = (body as { id?: unknown }).id;
  const id: RpcId = typeof rawId === 'string' || typeof rawId === 'number' ? rawId : null;
  if (!request.ok) return fail(c, id, new RpcError(RpcCode.invalidRequest, request.message));
  const { method } = request.value;
  try {
    switch (method) {
      case 'SendMessage': {
        const p = params(SendMessageParamsSchema, request.value.params);
        const sent = await o.gateway.send(o.caller, p, o.agent);
        const task = p.configuration?.returnImmediately ? sent.task : await o.gateway.settle(o.caller.mesh, sent.task, undefined, c.req.raw.signal);
        return reply(c, id, { task: toWireTask(task, sent.record) });
      }
      case 'SendStreamingMessage': {
        const p = params(SendMessageParamsSchema, request.value.params);
        const sent = await o.gateway.send(o.caller, p, o.agent);
        return streamTask(c, id, o, sent.task, sent.record);
      }
      case 'GetTask': {
        const { task, record } = await o.gateway.get(o.caller, params(TaskIdParamsSchema, request.value.params).id);
        return reply(c, id, toWireTask(task, record));
      }
      case 'CancelTask': {
        const { task, record } = await o.gateway.cancel(o.caller, params(TaskIdParamsSchema, request.value.params).id);
        return reply(c, id, toWireTask(task, record));
      }
      case 'GetExtendedAgentCard':
        return reply(c, id, await o.card());
      default:
        if (UNSUPPORTED.has(method)) throw new RpcError(RpcCode.unsupportedOperation, `${method} is not supported by the tabmesh gateway (docs/agent-protocols.md)`);
        throw new RpcError(RpcCode.methodNotFound, `no method "${method}"; this gateway answers SendMessage, SendStreamingMessage, GetTask, CancelTask, GetExtendedAgentCard`);
    }
  } catch (err) {
    return fail(c, id, asRpcError(err));
  }
}

/** SendStreamingMessage: the task, `working` once an agent has it, then the output artifact and the final status. */
function streamTask(c: Context, id: RpcId, o: RpcContext, initial: Task, record: A2ARecord): Response {
  return streamSSE(c, async (stream) => {
    const abort = new AbortController();
    stream.onAbort(() => abort.abort(new Error('client went away')));
    let chain = Promise.resolve();
    const send = (event: StreamEvent) => {
      chain = chain.then(() => stream.writeSSE({ data: JSON.stringify({ jsonrpc: '2.0', id, result: event }) }));
      return chain;
    };
    const ids = { taskId: initial.id, contextId: record.contextId };
    const onChange = (task: Task) => {
      const view = toWireTask(task, record);
      if (view.status.state === 'TASK_STATE_COMPLETED') void send({ artifactUpdate: { ...ids, artifact: outputArtifact(task), lastChunk: true } });
      void send({ statusUpdate: { ...ids, status: view.status } });
    };
    await send({ task: toWireTask(initial, record) });
    await o.gateway.settle(o.caller.mesh, initial, onChange, abort.signal).catch(() => undefined);
    await chain;
  });
}
