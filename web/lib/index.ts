/**
 * tabmesh/browser: join a tabmesh mesh from any web page, offer skills, call peers.
 * See docs/browser-library.md. Built from the one mesh core (web/mesh) and the agents (web/agents).
 */
export { joinMesh } from './join-mesh.ts';
export type { JoinOptions } from './join-mesh.ts';
export type { CredentialOptions } from './credentials.ts';
export type { TabmeshPeer, PeerView, PeerEvents, CallOptions, CallResult } from './peer-handle.ts';
export type { BuiltinAgent, WorkerAgentView } from './worker-agents.ts';
export type { PageSkill } from './page-skills.ts';
export { MeshError } from '../mesh/errors.ts';
export { SkillError } from '../mesh/agent-host.ts';
/** A new identity key (store the returned `identity` object in IndexedDB to keep the peer id); `tokenProof` signs a `/api/token` nonce with it, for `getToken` backends. */
export { generateIdentity, tokenProof } from '../../protocol/identity.ts';
export type { Identity, PublicIdentity } from '../../protocol/identity.ts';
export type { ChatResult, IdentityEvent } from '../mesh/mesh-types.ts';
export type { PinStore } from '../mesh/link/link-identity.ts';
export type { RouteInfo } from '../mesh/routing/peer-route-types.ts';
export type { AgentInfo, AgentView, Skill, Task, Tier, Role } from '../../protocol/index.ts';
export type { SkillContext } from '../agents/skills/skill-definition.ts';
export type { InputSchema } from '../agents/skills/input-schema.ts';
