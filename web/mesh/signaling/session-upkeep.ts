import { toMeshError, type MeshError } from '../errors.ts';
import type { ClientFrame } from '../../../protocol/index.ts';
import type { Clock } from '../platform.ts';

export interface SessionUpkeepOptions {
  clock: Clock;
  getToken: () => Promise<string>;
  refreshLeadMs?: number;
  /** The socket now: a token fetched for a socket since replaced is dropped. */
  socket(): unknown;
  open(): boolean;
  /** `heartbeat` frame interval (default 30 s), reporting `load`. */
  heartbeatMs?: number;
  load?: () => number;
  /** Queues a control frame (`auth`, `heartbeat`). */
  send(frame: ClientFrame): void;
  /** A refused credential: the client stops. */
  fatal(err: MeshError): void;
}

export type SessionUpkeep = ReturnType<typeof createSessionUpkeep>;

/**
 * What keeps an open session alive: the token refreshed before it expires (on the server's clock,
 * not ours) and a `heartbeat` frame reporting this peer's load.
 */
export function createSessionUpkeep(o: SessionUpkeepOptions) {
  const { clock } = o;
  let timer: unknown;
  let beat: unknown;
  let serverOffset = 0;

  function heartbeat(): void {
    beat = clock.set(() => {
      o.send({ type: 'heartbeat', payload: { load: Math.max(0, Math.floor(o.load?.() ?? 0)) } });
      heartbeat();
    }, o.heartbeatMs ?? 30_000);
  }

  async function refresh(): Promise<void> {
    const socket = o.socket();
    let token: string;
    try {
      token = await o.getToken();
    } catch (err) {
      if (o.socket() !== socket || !o.open()) return;
      // A refused credential will not be accepted later either: stop now, not at the token's expiry.
      const e = toMeshError(err, 'token-failed');
      if (!e.retryable) return o.fatal(e);
      timer = clock.set(refresh, 2000);
      return;
    }
    if (o.socket() === socket && o.open()) o.send({ type: 'auth', token });
  }

  function schedule(expiresAt: number): void {
    clock.clear(timer);
    timer = undefined;
    const remaining = expiresAt - (clock.now() + serverOffset);
    const lead = o.refreshLeadMs ?? Math.max(5000, remaining * 0.2);
    timer = clock.set(refresh, Math.max(1000, remaining - lead));
  }

  return {
    /** A welcome: read expiries on the server's clock from now, refresh in time, start heartbeats. */
    start(serverTime: number, expiresAt: number): void {
      serverOffset = serverTime - clock.now();
      schedule(expiresAt);
      heartbeat();
    },
    /** `auth-ok`: the new token's expiry. */
    schedule,
    /** The server refused the token in use: fetch another shortly. */
    soon(): void {
      timer = clock.set(refresh, 2000);
    },
    /** The socket is gone: no refresh, no heartbeat. */
    stop(): void {
      clock.clear(timer);
      clock.clear(beat);
      timer = beat = undefined;
    },
  };
}
