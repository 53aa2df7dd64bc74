/**
 * The mesh's API for agent runtimes (web/agents/: the skills and the browser's agent Workers): what
 * a skill throws and returns, binary values, and serving an agent's own DataChannel. A second,
 * narrow entry beside index.ts so that a Worker bundle takes only this, not the whole core.
 */
export { SkillError, CHAT_SKILL } from './agent-host.ts';
export type { AgentHost } from './agent-host.ts';
export { extractBinary, insertAt, transferablesOf } from './channel/binary-values.ts';
export { serveAgentChannel, type AgentChannelServer } from './channel/agent-channel-server.ts';
export type { AgentChannelAdopter } from './channel/agent-channels.ts';
export { clockOf } from './platform.ts';
