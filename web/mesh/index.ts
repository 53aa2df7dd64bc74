/**
 * The tabmesh mesh core: one implementation for the browser and Node, written against injected
 * W3C interfaces (RTCPeerConnection, WebSocket, fetch, a clock). See docs/architecture.md "Mesh core".
 */

/** Creates a mesh peer (signaling, DataChannels, fallback relay, request routing); `start()` joins. */
export { createMesh } from './mesh.ts';
export type { Mesh, MeshOptions, MeshEvents, CallOptions, CallResult, ChatResult, PingResult, PeerInfo } from './mesh-types.ts';
/** The seam to agents: what a peer serves, plus the error a skill throws and the chat skill name. */
export { SkillError, CHAT_SKILL } from './agent-host.ts';
export type { AgentHost } from './agent-host.ts';
/** Every failure the mesh reports, with a stable `code`. */
export { MeshError } from './errors.ts';
export { browserPeerKind, DEFAULT_MAX_LINKS, OVERLAY_DEGREE } from './link/link-budget.ts';
export type { PeerKind } from './link/link-budget.ts';
/** The runtime objects the core needs (the browser passes globals; headless-node/node-platform.ts builds Node's). */
export type { MeshPlatform } from './platform.ts';
/** A `getToken` that trades an API key or device token for a JWT at `POST /api/token`, proving the peer's key. */
export { apiKeyTokenSource, createTokenCache, type TokenCache } from './signaling/token-source.ts';
/** A peer's key: its id is the key's hash (pass the same identity to createMesh and apiKeyTokenSource). */
export { generateIdentity } from '../../protocol/identity.ts';
export type { Identity } from '../../protocol/identity.ts';
/** The signaling client on its own (hello/welcome, presence, relay, token refresh, reconnect). */
export { createSignalingClient } from './signaling/signaling-client.ts';
export type { SignalingClient, SignalingEvents, SignalingOptions, SignalingState } from './signaling/signaling-client.ts';
/** One RTCPeerConnection + DataChannel to one peer, with perfect negotiation (used by the mesh). */
export { createPeerLink } from './link/peer-link.ts';
export type { PeerLink, PeerLinkOptions, PeerLinkState } from './link/peer-link.ts';
/** Per-link state as reported in `link` events, `mesh.links()` and link reports. */
export type { RouteInfo, RouteState } from './routing/peer-route.ts';
/** Chunk framing (16 KiB frames, 10-byte header) and its size-limited reassembler. */
export { encodeFrames, createReassembler, MAX_FRAME_BYTES, FRAME_HEADER_BYTES, DEFAULT_MAX_MESSAGE_BYTES } from './channel/framing.ts';
export type { Reassembler, ReassemblerOptions, PushResult } from './channel/framing.ts';
/** The responder side alone (validation, dedupe, AgentHost dispatch), for embedding and tests. */
export { createMessageRouter } from './routing/message-router.ts';
export type { MessageRouter, RouterOptions } from './routing/message-router.ts';
/** The caller-side request table used with a router. */
export { createPendingRequests } from './calls/pending-requests.ts';
export type { PendingRequests, RequestOptions, RequestOutcome } from './calls/pending-requests.ts';
/** Runs server-assigned tasks (`task-assigned` pushes) on the AgentHost and PATCHes their results (used by the mesh). */
// The runner itself loads on the first assignment (mesh-tasks.ts): a static export here would
// pull it into every bundle of this barrel (the hub's first load).
export { parseTask } from './calls/task-payload.ts';
export type { TaskRunner, TaskRunnerOptions } from './calls/task-runner.ts';
/** Agent channels: DataChannels of their own for agents (browser: handed to their Workers). */
export { serveAgentChannel } from './channel/agent-channel-server.ts';
export type { AgentChannelServer, AgentChannelServerOptions } from './channel/agent-channel-server.ts';
export type { AgentChannelAdopter, ChannelRefusal } from './channel/agent-channels.ts';
export { AGENT_CHANNEL_PREFIX, agentChannelLabel, agentOfLabel } from './channel/agent-channel-label.ts';
/** Full-jitter exponential backoff. */
export { createBackoff } from '../../protocol/backoff.ts';
export type { Backoff } from '../../protocol/backoff.ts';
/** Peer identity on DataChannels: the link proof, pin stores (docs/architecture.md "Peer identity"). */
export { createLinkAuthenticator, createMemoryPinStore } from './link/link-identity.ts';
export type { LinkAuthenticator, LinkVerdict, PinPolicy, PinStore } from './link/link-identity.ts';
export type { IdentityEvent } from './mesh-types.ts';
/** The codes a MeshError of the mesh's own can carry (docs/protocol.md, "Mesh error codes"). */
export type { MeshErrorCode } from './errors.ts';
