import type { PageInfo } from './worker-api.ts';

/** Snapshots the page on the main thread; the fragment is dropped because it may hold a key. */
export function snapshotPage(): PageInfo {
  return {
    title: document.title,
    url: location.origin + location.pathname,
    language: navigator.language,
    userAgent: navigator.userAgent,
    visibility: document.visibilityState,
    online: navigator.onLine,
    screen: { width: screen.width, height: screen.height, pixelRatio: devicePixelRatio },
    viewport: { width: innerWidth, height: innerHeight },
    hardwareConcurrency: navigator.hardwareConcurrency ?? 1,
    uptimeMs: Math.round(performance.now()),
  };
}
