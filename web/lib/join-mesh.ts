import { generateIdentity, type Identity } from '../../protocol/identity.ts';
import { SkillError, type AgentHost } from '../mesh/agent-host.ts';
import { MeshError } from '../mesh/errors.ts';
import { createMesh } from '../mesh/mesh.ts';
import { browserPeerKind } from '../mesh/link/link-budget.ts';
import type { AgentChannelAdopter } from '../mesh/channel/agent-channels.ts';
import type { PinStore } from '../mesh/link/link-identity.ts';
import { checkCredentialOptions, optionError, resolveCredentials, type CredentialOptions } from './credentials.ts';
import type { PageSkill } from './page-skills.ts';
import { createEmitter } from '../mesh/emitter.ts';
import { createPeerHandle, type PeerEvents, type TabmeshPeer } from './peer-handle.ts';
import type { BuiltinAgent, WorkerAgentView } from './worker-agents.ts';

export interface JoinOptions extends CredentialOptions {
  /** The tabmesh server's origin. Default: this page's origin. */
  url?: string;
  /** This peer's key (peer id = hash of its public key). Default: a new non-extractable key for this join. */
  identity?: Identity;
  /** Device name shown to the admin when pairing by invite. */
  name?: string;
  /** Skills run by functions in this page, advertised as the agent `agentName`. */
  skills?: Record<string, PageSkill>;
  /** Agent name of `skills` (default `page`). */
  agentName?: string;
  /**
   * Skills modules, each run in a Worker of its own as an agent: every exported function with a
   * `description` property is a skill (as for `tabmesh node --skills-module`). The Worker gets
   * DataChannels of its own where the browser can transfer them, else calls cross a MessagePort.
   */
  workers?: Array<{ name: string; url: string | URL }>;
  /** tabmesh's own Worker agents to host as well: `basic` (echo, time, chat) and `page` (page-info). */
  builtinAgents?: BuiltinAgent[];
  /** Registers the agents with the server (`POST /api/agents`) so others find them by skill. Default true. */
  register?: boolean;
  /** Hears when an invite's pairing waits for an admin's approval. */
  onPairing?: (e: { status: 'waiting'; requestId: string }) => void;
  /** Aborts pairing and joining. */
  signal?: AbortSignal;
  /** false: never open DataChannels, everything through the server (tier 3). */
  p2p?: boolean;
  /**
   * true: resolve as soon as the agents run and the credential is ready, and join in the
   * background (retrying while the server is unreachable; `signaling` events tell when it is open,
   * `fatal` when the credential is refused). For pages that must work offline. Default false.
   */
  background?: boolean;
  /** Where the keys of peers met before are kept (default: in memory for this join), e.g. IndexedDB. */
  pins?: PinStore;
  /** Reconnect backoff after the server went away, ms (default base 500, max 30,000). */
  reconnect?: { baseMs?: number; maxMs?: number };
}

const NAME = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** The host of a page that offers no skills: nothing to run, nothing to release. */
const NO_AGENTS: AgentHost = {
  agents: () => [],
  run: (skill) => Promise.reject(new SkillError('unknown-skill', `this page has no skill "${skill}"`)),
  close: async () => undefined,
};

/**
 * Joins the mesh from any web page: proves the credential, starts the page's agents, connects to
 * the signaling server and resolves once welcomed. Rejects with a TypeError for bad options and a
 * `MeshError` (code `unauthorized`, `revoked`, …) when the server refuses.
 */
export async function joinMesh(opts: JoinOptions): Promise<TabmeshPeer> {
  const base = (opts.url ?? globalThis.location?.origin ?? '').replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) throw await optionError('url');
  const agentName = opts.agentName ?? 'page';
  if (!NAME.test(agentName)) throw await optionError('agentName', agentName);
  const skills = opts.skills ?? {};
  // Running skills (schema checks, streaming) is loaded only by pages that offer some: a page that
  // only calls others leaves it out (the library's size budget, docs/browser-library.md "Size").
  const pageSkills = Object.keys(skills).length ? await import('./page-skills.ts') : undefined;
  const pageDefs = pageSkills?.pageSkillDefinitions(skills) ?? [];
  await checkCredentialOptions(opts);
  const identity = opts.identity ?? (await generateIdentity(false)).identity;

  // Agents first: a skills module that fails to load must not cost the page its invite (single use).
  const hosts: AgentHost[] = pageSkills ? [pageSkills.pageAgentHost(agentName, pageDefs)] : [];
  let adopter: AgentChannelAdopter | undefined;
  let workerViews: (() => Promise<WorkerAgentView[]>) | undefined;
  const events = createEmitter<PeerEvents>();
  const failed = (code: string) => (err: unknown) => events.emit('error', { code, message: String((err as Error)?.message ?? err) });
  if (opts.workers?.length || opts.builtinAgents?.length) {
    // Loaded only by pages that offer Worker skills: comlink and the Worker host stay out of the
    // library's initial load (its size budget, docs/browser-library.md).
    const started = await (await import('./worker-agents.ts')).startWorkerAgents(opts, base, () => void started.views().then((v) => events.emit('worker-agents', v), failed('worker-agents')));
    adopter = started.adopter;
    workerViews = started.views;
    hosts.push(started.host);
  }
  const host = hosts.length > 1 ? pageSkills!.combineHosts(hosts) : (hosts[0] ?? NO_AGENTS);
  let creds;
  try {
    creds = await resolveCredentials(opts, { identity, base, name: opts.name, signal: opts.signal, onPairing: opts.onPairing });
  } catch (err) {
    await host.close();
    throw err;
  }
  const mesh = createMesh({
    url: base,
    platform: { RTCPeerConnection, WebSocket, fetch: globalThis.fetch.bind(globalThis), now: Date.now },
    getToken: creds.getToken,
    host,
    identity,
    // A phone keeps fewer DataChannels than a desktop tab (docs/architecture.md "Overlay").
    peerKind: browserPeerKind(globalThis.navigator),
    ...(adopter ? { agentChannels: adopter } : {}),
    ...(opts.pins ? { pins: opts.pins } : {}),
    ...(opts.reconnect ? { reconnect: opts.reconnect } : {}),
    ...(opts.p2p === false ? { p2p: false } : {}),
  });
  const register = async () => {
    if (opts.register === false) return;
    for (const a of host.agents()) {
      await creds.api('/api/agents', { method: 'POST', json: { name: a.name, skills: a.skills, platform: 'browser', capabilities: workerViews ? ['web-worker'] : [] } });
    }
  };
  const handle = (meshName: () => string) => createPeerHandle({
    mesh, events, peerId: identity.peerId, meshName, api: creds.api, host,
    ...(creds.deviceToken ? { deviceToken: creds.deviceToken } : {}),
    ...(workerViews ? { workerViews } : {}),
    onLeave: () => host.close(),
  });
  // After a reconnect the registry may have dropped us (server restart): register again.
  mesh.on('signaling', (s) => void (s.state === 'open' && s.resumed ? register().catch(failed('register-failed')) : undefined));
  if (opts.background) {
    let name = '';
    const peer = handle(() => name);
    // A refusal arrives as the `fatal` event; a leave() before the welcome rejects with `stopped`.
    mesh.start().then((w) => ((name = w.mesh), register().catch(failed('register-failed'))), () => undefined);
    return peer;
  }
  const onAbort = () => void mesh.stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  let welcome;
  try {
    welcome = await mesh.start();
    opts.signal?.throwIfAborted();
    await register();
  } catch (err) {
    await mesh.stop();
    await host.close();
    throw err instanceof MeshError || err instanceof TypeError ? err : new MeshError('join-failed', String((err as Error)?.message ?? err));
  } finally {
    opts.signal?.removeEventListener('abort', onAbort);
  }
  return handle(() => welcome.mesh);
}
