import type { ServerFrame } from '../../../protocol/index.ts';
import type { Emitter } from '../emitter.ts';
import type { SignalingEvents } from './signaling-types.ts';

/**
 * Turns a server frame other than `welcome` into the client's events (a `presence` batch into
 * departures, then arrivals). What the client itself does about a frame happens before this.
 */
export function emitServerFrame(events: Emitter<SignalingEvents>, frame: Exclude<ServerFrame, { type: 'welcome' }>): void {
  switch (frame.type) {
    case 'auth-ok':
      return events.emit('token-refreshed', { expiresAt: frame.tokenExpiresAt });
    case 'peer-joined':
      return events.emit('peer-joined', frame.peer);
    case 'peer-left':
      return events.emit('peer-left', { peerId: frame.peerId });
    case 'presence':
      // A batch: departures first, so a peer that left and came back ends up present.
      for (const peerId of frame.left) events.emit('peer-left', { peerId });
      for (const peer of frame.joined) events.emit('peer-joined', peer);
      return;
    case 'relay':
      return events.emit('relay', { from: frame.from, payload: frame.payload });
    case 'error':
      return events.emit('server-error', { code: frame.code, message: frame.message, ...(frame.ref ? { ref: frame.ref } : {}) });
    case 'task-assigned':
    case 'task-updated':
      return events.emit('task', frame);
    default:
      return events.emit('signal', frame);
  }
}
