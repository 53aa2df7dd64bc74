import type { Context, Hono, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { AuthEnv } from '../http/auth-middleware.ts';
import { HttpError } from '../http/http-error.ts';
import type { Registry } from '../registry/registry.ts';
import { a2aCaller, type A2AAuthDeps } from './a2a-auth.ts';
import type { A2ACaller, A2AGateway } from './a2a-gateway.ts';
import { handleRpc } from './a2a-rpc.ts';
import { agentCard, meshCard } from './agent-card.ts';

export interface A2ARouteDeps extends A2AAuthDeps {
  gateway: A2AGateway;
  registry: Registry;
  /** Peers with a live signaling socket: the card lists only skills that can run now. */
  connectedPeers(mesh: string): Set<string>;
  /** The URL the server is reached at (TABMESH_PUBLIC_URL), else the request's origin. */
  publicUrl(c: Context): string;
  version: string;
  maxBodyBytes: number;
  /** TABMESH_CORS_ORIGINS: browser-based A2A clients on these origins may call the routes below. */
  corsOrigins: string[];
  /** Throttles unknown API keys / device tokens sent as the bearer value (unknown-key-throttle.ts). */
  keyThrottle?: MiddlewareHandler;
}

/**
 * A2A 1.0: the mesh's agent card at /.well-known/agent-card.json (public, without skills unless
 * the request carries a valid bearer credential), its JSON-RPC interface at POST /a2a, and one
 * card + interface per registered agent under /a2a/agents/:id (members only).
 */
export function mountA2ARoutes(app: Hono<AuthEnv>, deps: A2ARouteDeps): void {
  const required = async (c: Context): Promise<A2ACaller> => {
    const caller = await a2aCaller(deps, c.req.header('authorization'));
    if (!caller) throw new HttpError(401, 'unauthorized', 'missing Authorization: Bearer <token, API key or device token> header');
    return caller;
  };
  const activeAgents = async (mesh: string) => {
    const connected = deps.connectedPeers(mesh);
    return (await deps.registry.list(mesh, { health: 'active' })).filter((a) => connected.has(a.peerId));
  };
  const fullMeshCard = async (c: Context, caller: A2ACaller) =>
    meshCard({ baseUrl: deps.publicUrl(c), version: deps.version, mesh: caller.mesh, agents: await activeAgents(caller.mesh) });
  const agentOf = async (c: Context, caller: A2ACaller) => {
    const id = c.req.param('id')!;
    const agent = await deps.registry.get(caller.mesh, id);
    if (!agent) throw new HttpError(404, 'not-found', `no agent "${id}" in this mesh`);
    return agent;
  };

  if (deps.corsOrigins.length) {
    const allow = cors({ origin: deps.corsOrigins, allowHeaders: ['Authorization', 'Content-Type', 'A2A-Version', 'A2A-Extensions'], maxAge: 600 });
    for (const path of ['/.well-known/agent-card.json', '/a2a', '/a2a/*']) app.use(path, allow);
  }
  // Hono's '/a2a/*' also matches '/a2a' itself: listing both would count one guess twice.
  if (deps.keyThrottle) for (const path of ['/.well-known/agent-card.json', '/a2a/*']) app.use(path, deps.keyThrottle);

  app.get('/.well-known/agent-card.json', async (c) => {
    const caller = await a2aCaller(deps, c.req.header('authorization'));
    const card = caller ? await fullMeshCard(c, caller) : meshCard({ baseUrl: deps.publicUrl(c), version: deps.version });
    // Vary: the same URL answers members with the skill list.
    return c.json(card, 200, { 'cache-control': 'no-store', vary: 'Authorization' });
  });
  app.post('/a2a', async (c) => {
    const caller = await required(c);
    return handleRpc(c, { gateway: deps.gateway, caller, maxBodyBytes: deps.maxBodyBytes, card: () => fullMeshCard(c, caller) });
  });
  app.get('/a2a/agents/:id/.well-known/agent-card.json', async (c) => {
    const caller = await required(c);
    return c.json(agentCard({ baseUrl: deps.publicUrl(c), version: deps.version, agent: await agentOf(c, caller) }), 200, { 'cache-control': 'no-store' });
  });
  app.post('/a2a/agents/:id', async (c) => {
    const caller = await required(c);
    const agent = await agentOf(c, caller);
    return handleRpc(c, {
      gateway: deps.gateway, caller, agent: agent.id, maxBodyBytes: deps.maxBodyBytes,
      card: async () => agentCard({ baseUrl: deps.publicUrl(c), version: deps.version, agent: await agentOf(c, caller) }),
    });
  });
}
