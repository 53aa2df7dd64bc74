import type { ClientFrame } from '../../../protocol/index.ts';
import { MeshError } from '../errors.ts';
import type { FramePacer } from './frame-pacer.ts';

const encoder = new TextEncoder();
/** UTF-8 size check that skips encoding when even 3 bytes per code unit would fit. */
const fitsIn = (text: string, max: number) => text.length * 3 <= max || encoder.encode(text).length <= max;

/** Queues a control frame on the pacer; false when it exceeds the server's frame limit. */
export function sendControl(pacer: FramePacer, maxFrameBytes: number, frame: ClientFrame): boolean {
  const text = JSON.stringify(frame);
  if (!fitsIn(text, maxFrameBytes)) return false;
  pacer.control(text);
  return true;
}

/** Queues a `relay` frame on the pacer's data lane; rejects when it exceeds the server's frame limit. */
export function sendRelay(pacer: FramePacer, max: number, to: string, payload: unknown): Promise<void> {
  const text = JSON.stringify({ type: 'relay', to, payload });
  if (!fitsIn(text, max)) return Promise.reject(new MeshError('too-large', `relay frame exceeds the server's ${max}-byte frame limit`));
  return pacer.data(text);
}
