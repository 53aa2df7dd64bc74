import type { BrowserContext } from 'playwright-core';

/**
 * Runs in a page before its scripts: from then on, transferring an RTCDataChannel to a Worker
 * throws `DataCloneError` (what a browser without the feature does), and the hub's feature
 * detection meets that. Everything else posts as usual. Plain function: playwright's
 * `addInitScript` and puppeteer's `evaluateOnNewDocument` both serialise it into the page.
 */
export function refuseDataChannelTransfer(): void {
  const post = Worker.prototype.postMessage as (this: Worker, message: unknown, transfer?: unknown) => void;
  Worker.prototype.postMessage = function (this: Worker, message: unknown, transfer?: unknown) {
    const list = Array.isArray(transfer) ? transfer : ((transfer as { transfer?: unknown[] } | undefined)?.transfer ?? []);
    if (list.some((t) => t instanceof RTCDataChannel)) throw new DOMException('RTCDataChannel is not transferable here', 'DataCloneError');
    return post.call(this, message, transfer);
  } as typeof Worker.prototype.postMessage;
}

/** Makes the pages of `context` behave like a browser that cannot transfer an RTCDataChannel to a Worker. */
export async function withoutDataChannelTransfer(context: BrowserContext): Promise<void> {
  await context.addInitScript(refuseDataChannelTransfer);
}
