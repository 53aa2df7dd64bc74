import type { BrowserContext } from 'playwright-core';

/**
 * Makes the pages of `context` behave like a browser that cannot transfer an RTCDataChannel to a
 * Worker (e.g. a Firefox without the feature): such a transfer throws `DataCloneError`, which is
 * what the hub's feature detection meets there. Everything else posts as usual.
 */
export async function withoutDataChannelTransfer(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const post = Worker.prototype.postMessage as (this: Worker, message: unknown, transfer?: unknown) => void;
    Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: unknown) {
      const list = Array.isArray(transfer) ? transfer : ((transfer as { transfer?: unknown[] } | undefined)?.transfer ?? []);
      if (list.some((t) => t instanceof RTCDataChannel)) throw new DOMException('RTCDataChannel is not transferable here', 'DataCloneError');
      return post.call(this, message, transfer);
    } as typeof Worker.prototype.postMessage;
  });
}
