import type { Hono, MiddlewareHandler } from 'hono';
import type { AuthEnv } from '../http/auth-middleware.ts';
import { HttpError } from '../http/http-error.ts';
import { readJson } from '../http/read-json.ts';
import { AgentRegistrationSchema, HeartbeatRequestSchema, type Health } from '../../protocol/index.ts';
import type { SignalingRelay } from '../signaling/signaling-relay.ts';
import type { TaskQueue } from '../tasks/task-queue.ts';
import type { Registry } from './registry.ts';
import type { PeerLabel } from './peer-labels.ts';
import type { Topology } from './topology.ts';

type Auth = (roles?: Array<'admin' | 'agent'>) => MiddlewareHandler<AuthEnv>;
const HEALTH = ['active', 'stale', 'offline'];

/** /api/agents, /api/heartbeat, /api/route, /api/topology. */
export function mountRegistryRoutes(
  api: Hono<AuthEnv>,
  auth: Auth,
  deps: { registry: Registry; tasks: TaskQueue; topology: Topology; relay: SignalingRelay; labelPeers?: (mesh: string, peerIds: string[]) => Promise<Map<string, PeerLabel>> },
): void {
  const { registry, tasks, topology } = deps;
  const withInFlight = async (mesh: string) => tasks.inFlight(mesh);

  api.post('/agents', auth(), async (c) => {
    const body = await readJson(c, AgentRegistrationSchema);
    const { mesh, sub } = c.var.auth;
    return c.json({ agent: await registry.register(mesh, sub, body) }, 201);
  });
  api.get('/agents', auth(), async (c) => {
    const health = c.req.query('health');
    if (health !== undefined && !HEALTH.includes(health)) throw new HttpError(400, 'invalid-query', 'health: must be active, stale or offline');
    const flights = await withInFlight(c.var.auth.mesh);
    const agents = await registry.list(c.var.auth.mesh, { skill: c.req.query('skill'), health: health as Health | undefined, peer: c.req.query('peer') });
    return c.json({ agents: agents.map((a) => ({ ...a, inFlight: flights.get(a.id) ?? 0 })) });
  });
  api.get('/agents/:id', auth(), async (c) => {
    const agent = await registry.get(c.var.auth.mesh, c.req.param('id'));
    if (!agent) throw new HttpError(404, 'not-found', `no agent "${c.req.param('id')}"`);
    return c.json({ agent: { ...agent, inFlight: (await withInFlight(agent.mesh)).get(agent.id) ?? 0 } });
  });
  api.delete('/agents/:id', auth(), async (c) => {
    const { mesh, sub, role } = c.var.auth;
    const agent = await registry.get(mesh, c.req.param('id'));
    if (!agent) throw new HttpError(404, 'not-found', `no agent "${c.req.param('id')}"`);
    if (agent.peerId !== sub && role !== 'admin') throw new HttpError(403, 'forbidden', 'only the owning peer or an admin may delete an agent');
    await registry.remove(mesh, agent.id);
    return c.body(null, 204);
  });
  api.post('/heartbeat', auth(), async (c) => {
    const body = await readJson(c, HeartbeatRequestSchema);
    return c.json({ health: await registry.heartbeat(c.var.auth.mesh, c.var.auth.sub, body.load) });
  });
  api.get('/route', auth(), async (c) => {
    const skill = c.req.query('skill');
    if (!skill) throw new HttpError(400, 'invalid-query', 'skill: query parameter is required');
    const mesh = c.var.auth.mesh;
    const agent = await registry.route(mesh, skill, await withInFlight(mesh), (a) => deps.relay.isPresent(mesh, a.peerId));
    if (!agent) throw new HttpError(404, 'no-agent', `no active agent offers skill "${skill}"`);
    return c.json({ agent });
  });
  api.get('/topology', auth(), async (c) => {
    const mesh = c.var.auth.mesh;
    // Reading the topology is what makes peers report their link changes (topology-watch.ts).
    deps.relay.watchTopology(mesh);
    const view = await topology.view(mesh, deps.relay.peers(mesh));
    const labels = await deps.labelPeers?.(mesh, view.nodes.map((n) => n.peerId));
    const nodes = labels ? view.nodes.map((n) => ({ ...n, ...labels.get(n.peerId) })) : view.nodes;
    return c.json({ mesh, nodes, edges: view.edges });
  });
}
