import type { Context, MiddlewareHandler } from 'hono';

/**
 * The hub's Content-Security-Policy. Everything it loads comes from its own origin: the module
 * scripts and CSS Vite emits into /assets/ (no inline script or style element, no eval), the
 * agent Web Workers (/assets/agent-worker-*.js) and the service worker (/sw.js and the workbox
 * file it imports), fetches to /api and the signaling WebSocket on the same host ('self' covers
 * ws:/wss: to it in CSP 3), icons and the manifest. QR codes and the topology graph are inline
 * SVG elements, so images need nothing but 'self'. Preact's `style="…"` props are applied
 * through the CSSOM (`element.style`), which style-src does not govern, so no 'unsafe-inline'.
 * The hub reads an admin key from `#admin=` and keeps device tokens and identity keys in
 * IndexedDB: no script from elsewhere may ever run next to them.
 */
export const HUB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Powerful features the hub never uses, switched off for it and anything it could embed. */
export const PERMISSIONS_POLICY = [
  'accelerometer', 'camera', 'display-capture', 'geolocation', 'gyroscope', 'hid',
  'magnetometer', 'microphone', 'midi', 'payment', 'serial', 'usb',
].map((f) => `${f}=()`).join(', ');

/** HSTS for a year, sent only on a request that arrived over HTTPS (over http it means nothing, RFC 6797 §7.2). */
export const HSTS = 'max-age=31536000; includeSubDomains';

/** Adds CSP and Permissions-Policy to every response, HSTS to those served over HTTPS. */
export function securityHeaders(isHttps: (c: Context) => boolean): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set('content-security-policy', HUB_CSP);
    c.res.headers.set('permissions-policy', PERMISSIONS_POLICY);
    if (isHttps(c)) c.res.headers.set('strict-transport-security', HSTS);
    else c.res.headers.delete('strict-transport-security');
  };
}
