import type { Task } from '../../protocol/index.ts';
import type { A2ATaskState, Message, WireArtifact, WireMessage, WirePart, WireTask } from './a2a-wire.ts';

/** What the gateway keeps per A2A task besides the server task: the conversation and a cancel mark. */
export interface A2ARecord {
  taskId: string;
  contextId: string;
  /** The user's message, as history. */
  message: WireMessage;
  /** Set when CancelTask abandoned the server task. */
  canceled?: boolean;
}

/** CancelTask abandons the server task with code `canceled`; a stream holding an older record sees that code. */
const isCanceled = (task: Task, record: A2ARecord | undefined) => record?.canceled === true || (task.state === 'failed' && task.error?.code === 'canceled');

/** The server task's state as an A2A task state. */
export function a2aState(task: Task, record: A2ARecord | undefined): A2ATaskState {
  if (isCanceled(task, record)) return 'TASK_STATE_CANCELED';
  switch (task.state) {
    case 'pending': return 'TASK_STATE_SUBMITTED';
    case 'assigned': return 'TASK_STATE_WORKING';
    case 'completed': return 'TASK_STATE_COMPLETED';
    default: return 'TASK_STATE_FAILED';
  }
}

/** Skill output as parts: a string as text, anything else as a data part (JSON). */
export function outputParts(output: unknown): WirePart[] {
  if (typeof output === 'string') return [{ text: output }];
  return [{ data: output ?? null, mediaType: 'application/json' }];
}

export function outputArtifact(task: Task): WireArtifact {
  return { artifactId: `${task.id}-output`, name: task.skill, parts: outputParts(task.output) };
}

function failureMessage(task: Task, record: A2ARecord | undefined): WireMessage | undefined {
  if (isCanceled(task, record)) return agentMessage(task, record, 'canceled by the caller', { code: 'canceled' });
  if (task.state === 'expired') return agentMessage(task, record, `no result before the task expired (skill "${task.skill}")`, { code: 'expired' });
  if (task.state !== 'failed') return undefined;
  const error = task.error ?? { code: 'failed', message: 'task failed' };
  return agentMessage(task, record, `[${error.code}] ${error.message}`, { code: error.code });
}

function agentMessage(task: Task, record: A2ARecord | undefined, text: string, metadata: Record<string, unknown>): WireMessage {
  return { messageId: `${task.id}-status`, role: 'ROLE_AGENT', taskId: task.id, contextId: record?.contextId ?? task.id, parts: [{ text }], metadata };
}

/** The server task as an A2A Task (output as the one artifact, failures as the status message). */
export function toWireTask(task: Task, record: A2ARecord | undefined): WireTask {
  const state = a2aState(task, record);
  const message = failureMessage(task, record);
  return {
    id: task.id,
    contextId: record?.contextId ?? task.id,
    status: { state, timestamp: new Date(task.updatedAt).toISOString(), ...(message ? { message } : {}) },
    ...(state === 'TASK_STATE_COMPLETED' ? { artifacts: [outputArtifact(task)] } : {}),
    ...(record ? { history: [record.message] } : {}),
    metadata: { skill: task.skill, ...(task.agentId ? { agent: task.agentId } : {}) },
  };
}

/** The caller's message as stored history (ids filled in). */
export function historyMessage(message: Message, taskId: string, contextId: string): WireMessage {
  const parts: WirePart[] = message.parts.map((p) => ({
    ...(p.text !== undefined ? { text: p.text } : {}),
    ...(p.data !== undefined ? { data: p.data } : {}),
    ...(p.mediaType ? { mediaType: p.mediaType } : {}),
  }));
  return { messageId: message.messageId, role: 'ROLE_USER', parts, taskId, contextId, ...(message.metadata ? { metadata: message.metadata } : {}) };
}
