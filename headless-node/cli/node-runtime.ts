import { setTimeout as sleep } from 'node:timers/promises';
import type { Identity } from '../../protocol/index.ts';
import type { AgentHost } from '../../web/mesh/index.ts';
import type { PinStore } from '../../web/mesh/index.ts';
import { createBackoff } from '../../protocol/backoff.ts';
import { MeshError } from '../../web/mesh/index.ts';
import { createMesh, type Mesh } from '../../web/mesh/index.ts';
import type { MeshPlatform } from '../../web/mesh/index.ts';
import { ApiError } from '../../protocol/api-client.ts';
import { createControlPlaneClient, type ControlPlaneClient } from '../session/control-plane-client.ts';
import type { NodeTokenSource } from '../session/token-source.ts';
import { EXIT } from './command-line.ts';
import { connectionError } from './cli-session.ts';
import { isCredentialRefusal } from './credential-refusal.ts';

export interface NodeRuntimeOptions {
  url: string;
  platform: MeshPlatform;
  tokens: NodeTokenSource;
  host: AgentHost;
  /** The key behind the peer id, proved on every DataChannel. */
  identity?: Identity;
  /** Keys of peers talked to before (pins.json in the data dir). */
  pins?: PinStore;
  p2p: boolean;
  /** DataChannels kept at most (`--max-links`; default 64, the Node peer's default). */
  maxLinks?: number;
  log: (line: string) => void;
  /** Aborts on SIGTERM/SIGINT: deregister, say bye, stop. */
  signal: AbortSignal;
  /** Longest wait for deregistration on shutdown, ms (default 2000). */
  deregisterTimeoutMs?: number;
  /** Called once the mesh is joined (the local API starts serving from here). */
  onJoined?: (joined: { mesh: Mesh; peerId: string; meshName: string; controlPlane: ControlPlaneClient }) => void;
  /** Subscribes to changes of the host's skills (MCP servers going up or down): registered again each time. */
  onSkillsChanged?: (fn: () => void) => void;
}

/**
 * Waits for a first token: a refused credential fails at once, an unreachable server is retried
 * (a Pi may boot before its server) with backoff until `signal` aborts.
 */
export async function firstToken(url: string, tokens: NodeTokenSource, signal: AbortSignal, log: (line: string) => void): Promise<void> {
  const backoff = createBackoff({ baseMs: 500, maxMs: 15_000 });
  for (;;) {
    try {
      await tokens.getToken();
      return;
    } catch (err) {
      const unreachable = (err instanceof ApiError && (err.status === 0 || err.status >= 500)) || (err instanceof MeshError && err.retryable);
      // A refusal stays a MeshError: the caller knows which credential it was and says what to do.
      if (isCredentialRefusal(err)) throw err;
      if (!unreachable) throw connectionError(url, err);
      const wait = backoff.next();
      log(`server not reachable (${(err as Error).message}); retrying in ${(wait / 1000).toFixed(1)} s`);
      await sleep(wait, undefined, { signal });
    }
  }
}

/**
 * Joins the mesh, registers the host's agents with the control plane (again after every
 * reconnect: a restarted server may have forgotten them), serves calls until `signal` aborts or
 * the credential is revoked, then deregisters and leaves. Resolves with the exit code; rejects
 * with the MeshError when the server refuses the credential (the caller explains it).
 */
export async function runNode(o: NodeRuntimeOptions): Promise<number> {
  const mesh = createMesh({
    url: o.url, platform: o.platform, getToken: () => o.tokens.getToken(), host: o.host, p2p: o.p2p, peerKind: 'node',
    ...(o.maxLinks === undefined ? {} : { maxLinks: o.maxLinks }),
    ...(o.identity ? { identity: o.identity } : {}),
    ...(o.pins ? { pins: o.pins } : {}),
  });
  const controlPlane = createControlPlaneClient(o.url, () => o.tokens.getToken());
  let peerId = '';
  const register = async () => {
    for (const agent of o.host.agents()) {
      await controlPlane.registerAgent({ name: agent.name, skills: agent.skills, platform: 'node', capabilities: [] });
    }
  };
  const registerOrWarn = () => register().catch((err: unknown) => o.log(`could not register agents: ${(err as Error).message}`));

  let fatal: MeshError | undefined;
  const stopped = new Promise<void>((resolve) => {
    if (o.signal.aborted) resolve();
    o.signal.addEventListener('abort', () => resolve(), { once: true });
    mesh.on('fatal', (err) => ((fatal = err), resolve()));
  });
  mesh.on('peer-joined', (p) => o.log(`peer joined: ${p.peerId} (${p.role})`));
  mesh.on('peer-left', (p) => o.log(`peer left: ${p.peerId} (${p.reason})`));
  mesh.on('link', (l) => {
    // Fallback and routed are the absence of a DataChannel of its own (fallback also while a peer
    // leaves): only DataChannel openings are news.
    if (l.state === 'open' && l.tier !== 'fallback' && l.tier !== 'routed') o.log(`DataChannel to ${l.peerId} open (${l.tier}${l.openMs === undefined ? '' : `, ${Math.round(l.openMs)} ms`})`);
  });
  mesh.on('identity', (e) => {
    // Loud on purpose: a refusal means the server (or someone on it) answered in another peer's name.
    if (e.status === 'refused') console.error(`tabmesh node: WARNING: refused peer ${e.peerId}: identity check failed (${e.reason}): ${e.message}`);
    else if (e.status === 'key-changed') console.error(`tabmesh node: WARNING: peer ${e.peerId} presents another key than pinned; accepted (pin policy "warn")`);
    else if (e.firstContact) o.log(`peer ${e.peerId} verified (${e.identity.alg} key${e.keyDerived ? ', key-derived id' : ', pinned on first contact'})`);
  });
  mesh.on('signaling', (s) => {
    if (s.state === 'connecting') o.log(`signaling lost (${s.code ?? ''} ${s.reason ?? ''}); reconnecting, DataChannels stay up`);
    if (s.state === 'open' && s.resumed) {
      o.log('signaling resumed');
      void registerOrWarn();
    }
  });

  try {
    const joined = await Promise.race([mesh.start(), stopped.then(() => undefined)]);
    if (!joined) {
      if (isCredentialRefusal(fatal)) throw fatal;
      return fatal ? EXIT.connection : EXIT.ok;
    }
    peerId = joined.peerId;
    o.onSkillsChanged?.(() => void registerOrWarn());
    await registerOrWarn();
    o.onJoined?.({ mesh, peerId, meshName: joined.mesh, controlPlane });
    const agents = o.host.agents().map((a) => `agent "${a.name}" serving ${a.skills.map((s) => s.name).join(', ')}`).join('; ');
    console.log(`joined mesh "${joined.mesh}" as ${peerId} (${o.p2p ? 'peer-to-peer' : 'no p2p: fallback tier only'}); ${agents}`);
    await stopped;
    if (fatal) {
      if (isCredentialRefusal(fatal)) throw fatal;
      console.error(`tabmesh node: stopped: ${fatal.message}`);
      return EXIT.connection;
    }
    o.log('shutting down');
    await deregister(o, controlPlane, peerId);
    return EXIT.ok;
  } catch (err) {
    throw err instanceof MeshError && !isCredentialRefusal(err) ? connectionError(o.url, err) : err;
  } finally {
    await mesh.stop();
  }
}

/** Best effort: the registry would mark the agents offline by itself, only later. */
async function deregister(o: NodeRuntimeOptions, cp: ReturnType<typeof createControlPlaneClient>, peerId: string): Promise<void> {
  const ids = o.host.agents().map((a) => `${peerId}:${a.name}`);
  const all = Promise.all(ids.map((id) => cp.deleteAgent(id))).catch((err: unknown) => o.log(`could not deregister: ${(err as Error).message}`));
  await Promise.race([all, sleep(o.deregisterTimeoutMs ?? 2000, undefined, { ref: false })]);
}
