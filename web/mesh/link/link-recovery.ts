import type { Clock } from '../platform.ts';
import type { LinkConnection } from './link-state.ts';

export interface IceRecoveryOptions {
  clock: Clock;
  connectTimeoutMs: number;
  /** ICE `disconnected` for this long on an open link triggers recovery. */
  graceMs: number;
  link: LinkConnection;
  /** Whether the negotiation can restart ICE now (else the link starts over). */
  canRestart(): boolean;
  /** Sends the restart offer for `pc`. */
  makeOffer(pc: RTCPeerConnection): Promise<void>;
  /** Gives the connection up: the link goes idle with `reason`. */
  down(reason: string): void;
}

export type IceRecovery = ReturnType<typeof createIceRecovery>;

/**
 * ICE recovery of an open link: `disconnected` past a grace period or `failed` restarts ICE on the
 * same connection (a restart offer), and gives the connection up when that cannot be done or gets
 * no answer in time.
 */
export function createIceRecovery(o: IceRecoveryOptions) {
  const { clock, link: c } = o;

  function recover(reason: string): void {
    const me = c.pc;
    if (!me) return;
    if (c.state !== 'open' || !o.canRestart()) return o.down(reason);
    try {
      me.restartIce();
    } catch {
      return o.down(reason);
    }
    c.gate?.close();
    c.connectTimer = clock.set(() => {
      if (c.pc === me && !c.gate?.remoteOpen) o.down(`ICE restart got no answer within ${o.connectTimeoutMs} ms`);
    }, o.connectTimeoutMs);
    void o.makeOffer(me);
  }

  function onIceState(s: RTCIceConnectionState): void {
    if (s === 'connected' || s === 'completed') {
      clock.clear(c.graceTimer);
      c.graceTimer = undefined;
    } else if (s === 'failed') {
      recover('ICE failed');
    } else if (s === 'disconnected' && c.state === 'open' && c.graceTimer === undefined) {
      c.graceTimer = clock.set(() => {
        c.graceTimer = undefined;
        recover('ICE disconnected past the grace period');
      }, o.graceMs);
    }
  }

  return { recover, onIceState };
}
