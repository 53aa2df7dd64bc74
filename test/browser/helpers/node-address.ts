import { networkInterfaces } from 'node:os';
import { inNetns } from './chromium.ts';

/**
 * Where a Node peer in the browser suite binds its ICE sockets: Chromium gathers no loopback
 * candidates, so not 127.0.0.1 but the namespace's veth address (on the host: the first external
 * IPv4 address, the degraded mode the runner warns about).
 */
export function nodeBindAddress(): string {
  if (inNetns) return '10.99.0.1';
  const external = Object.values(networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal);
  if (!external) throw new Error('no external IPv4 address for a Node peer that browser tabs can reach');
  return external.address;
}
