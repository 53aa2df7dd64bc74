import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Skill } from '../../protocol/index.ts';
import { ApiError } from '../../protocol/api-client.ts';
import type { DataDir } from '../session/data-dir.ts';
import { serveConnection } from './connection.ts';
import type { LocalApiContext } from './mesh-ops.ts';
import { DEFAULT_MAX_LINE_BYTES } from './protocol.ts';
import { claimSocket, localApiSocketPath, SocketClaimError, TCP_INFO_FILE } from './socket-file.ts';


export interface LocalApiServerOptions {
  dir: DataDir;
  /** Also (or only, where Unix sockets do not fit) listen on 127.0.0.1:port with a token. */
  tcpPort?: number;
  maxLineBytes?: number;
  log: (line: string) => void;
}

export interface LocalApiServer {
  readonly socketPath: string;
  /** The TCP port when `tcpPort` was given (0 picks one). */
  readonly tcpPort: number | undefined;
  /** Starts serving requests from the joined node (before: `not-joined`). */
  attach(ctx: LocalApiContext): void;
  /** Closes every client (their agents are dropped) and removes the socket file. */
  close(): Promise<void>;
}

export { SocketClaimError };

/**
 * Claims the data dir's socket (refusing when another node serves it) and serves the local API
 * on it; see docs/local-api.md. Call before joining the mesh: the claim is the one-node-per-dir lock.
 */
export async function startLocalApiServer(o: LocalApiServerOptions): Promise<LocalApiServer> {
  let ctx: LocalApiContext | undefined;
  const sockets = new Set<Socket>();
  const maxLineBytes = o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  // Agents whose DELETE did not reach the server: the registry would show them active as long as
  // this node heartbeats, so the removal is retried once signaling is back.
  const unannounced = new Set<string>();
  // One chain per agent name: a DELETE for a process that left right after registering must not
  // overtake its POST (the registry would keep the agent).
  const chains = new Map<string, Promise<boolean>>();
  const announce = (name: string, skills: Skill[] | undefined): Promise<boolean> => {
    const next = (chains.get(name) ?? Promise.resolve(true)).then(() => tellServer(name, skills));
    chains.set(name, next);
    void next.then(() => chains.get(name) === next && chains.delete(name));
    return next;
  };
  const tellServer = async (name: string, skills: Skill[] | undefined): Promise<boolean> => {
    if (!ctx) return false;
    if (skills) unannounced.delete(name);
    try {
      if (skills) await ctx.controlPlane.registerAgent({ name, skills, platform: 'node', capabilities: [] });
      else await ctx.controlPlane.deleteAgent(`${ctx.peerId}:${name}`);
      return true;
    } catch (err) {
      if (!skills && err instanceof ApiError && err.status === 404) return true;
      if (!skills) unannounced.add(name);
      o.log(`local API: could not ${skills ? 'register' : 'deregister'} agent "${name}" with the server: ${(err as Error).message}`);
      return false;
    }
  };
  const retryRemovals = () => {
    for (const name of unannounced) {
      unannounced.delete(name);
      void announce(name, undefined);
    }
  };
  const make = (token?: string): Server => createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    serveConnection(socket, { context: () => ctx, maxLineBytes, announce, log: o.log, ...(token === undefined ? {} : { token }) });
  });

  const socketPath = localApiSocketPath(o.dir.path);
  const unix = make();
  await claimSocket(unix, socketPath);
  let tcp: Server | undefined;
  let tcpPort: number | undefined;
  if (o.tcpPort !== undefined) {
    const token = `tml_${randomBytes(24).toString('base64url')}`;
    tcp = make(token);
    try {
      tcpPort = await new Promise<number>((resolve, reject) => {
        tcp!.once('error', reject);
        tcp!.listen(o.tcpPort, '127.0.0.1', () => resolve((tcp!.address() as { port: number }).port));
      });
    } catch (err) {
      unix.close();
      rmSync(socketPath, { force: true });
      throw new SocketClaimError(`--local-api-port ${o.tcpPort}: ${(err as Error).message}`);
    }
    o.dir.write(TCP_INFO_FILE, { host: '127.0.0.1', port: tcpPort, token });
  }

  return {
    socketPath,
    tcpPort,
    attach(c) {
      ctx = c;
      c.mesh.on('signaling', (e) => {
        if (e.state === 'open' && e.resumed) retryRemovals();
      });
    },
    async close() {
      const closing = [unix, ...(tcp ? [tcp] : [])].map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
      for (const s of sockets) s.destroy();
      await Promise.all(closing);
      // A Unix server removes its socket file on close; the TCP token must not outlive the node.
      rmSync(socketPath, { force: true });
      if (tcp) o.dir.remove(TCP_INFO_FILE);
    },
  };
}
