/**
 * What this page lacks to act as a peer. Browsers withhold WebCrypto, service workers and Web
 * Locks on insecure origins (plain http anywhere but localhost), so the hub explains the fix
 * instead of failing later in a confusing place.
 */
export function missingFeatures(): string[] {
  const missing: string[] = [];
  if (!globalThis.isSecureContext) missing.push('a secure origin (HTTPS or localhost)');
  if (!globalThis.crypto?.subtle) missing.push('WebCrypto (crypto.subtle)');
  if (!('serviceWorker' in navigator)) missing.push('service workers');
  if (!('locks' in navigator)) missing.push('Web Locks');
  if (!('indexedDB' in globalThis)) missing.push('IndexedDB');
  if (typeof RTCPeerConnection === 'undefined') missing.push('WebRTC (RTCPeerConnection)');
  return missing;
}

/** A short name for this device, shown to the admin who approves it (display only). */
export function deviceLabel(ua = navigator.userAgent): string {
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrom(e|ium)\//.test(ua) ? 'Chromium' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Windows/.test(ua) ? 'Windows' : /Mac OS X/.test(ua) ? 'macOS' : /Linux/.test(ua) ? 'Linux' : 'device';
  return `${browser} on ${os}`;
}
