import { networkInterfaces } from 'node:os';
import type { IceServer } from '../../protocol/index.ts';
import { fail, ok, warn, type CheckResult } from './check-result.ts';
import { gatherCandidates } from './gather-candidates.ts';
import { parseIceUrl, stunBinding, turnAllocate } from './turn-probe.ts';

export interface IceCheckOptions {
  bindAddress?: string;
  timeoutMs: number;
  /** Epoch ms, for the credential-expiry check. */
  now?: number;
}

const ms = (n: number) => `${Math.round(n)} ms`;

function isLocalAddress(address: string): boolean {
  return Object.values(networkInterfaces()).some((list) => list?.some((i) => i.address === address));
}

/** STUN: one Binding round trip; says whether a NAT sits between here and the server. */
async function checkStun(url: string, opts: IceCheckOptions): Promise<CheckResult[]> {
  const endpoint = parseIceUrl(url);
  if (!endpoint) return [fail(`${url}: not a STUN/TURN URL tabmesh understands`, 'use stun:host[:port] or turn:host[:port][?transport=udp|tcp] in STUN_URLS/TURN_URLS')];
  if (endpoint.transport !== 'udp') return [warn(`${url}: STUN over TLS is not probed`)];
  const res = await stunBinding(endpoint, { bindAddress: opts.bindAddress, timeoutMs: opts.timeoutMs });
  if (!res.ok) {
    return [fail(`${url}: no STUN answer within ${opts.timeoutMs} ms`, `the server is down, or UDP to ${endpoint.host}:${endpoint.port} is blocked by a firewall`)];
  }
  const seen = `${res.mapped.address}:${res.mapped.port}`;
  const nat = isLocalAddress(res.mapped.address) ? 'no NAT in between' : 'behind NAT: peers elsewhere see this address';
  return [ok(`${url}: STUN round trip ${ms(res.rttMs)}, server reflexive address ${seen} (${nat})`)];
}

/** TURN: the credential against the server (raw Allocate), then node-datachannel gathering a relay candidate. */
async function checkTurn(url: string, server: IceServer, opts: IceCheckOptions): Promise<CheckResult[]> {
  const endpoint = parseIceUrl(url);
  if (!endpoint) return [fail(`${url}: not a TURN URL tabmesh understands`, 'use turn:host[:port][?transport=udp|tcp] or turns:host[:port] in TURN_URLS')];
  if (!server.username || !server.credential) return [fail(`${url}: the server sent no TURN credentials`, 'set TURN_SECRET on the server')];
  const results: CheckResult[] = [];
  const expiry = Number(server.username.split(':')[0]);
  if (Number.isFinite(expiry) && expiry * 1000 <= (opts.now ?? Date.now())) {
    results.push(fail(`${url}: the TURN credential is already expired by this machine's clock`, 'the server\'s clock and this machine\'s differ: enable NTP on both (TURN REST credentials carry an expiry time)'));
  }
  if (endpoint.transport === 'udp') {
    const res = await turnAllocate(endpoint, server.username, server.credential, { bindAddress: opts.bindAddress, timeoutMs: opts.timeoutMs });
    if (res.outcome === 'no-answer') {
      return [...results, fail(`${url}: no TURN answer within ${opts.timeoutMs} ms`, `coturn is down, or UDP to ${endpoint.host}:${endpoint.port} is blocked (TURN needs UDP ${endpoint.port} and its relay port range open)`)];
    }
    if (res.outcome === 'refused') {
      const fix = res.code === 401
        ? 'coturn\'s static-auth-secret must equal tabmesh\'s TURN_SECRET (and coturn needs use-auth-secret); expired credentials are refused too'
        : `coturn refused the allocation (${res.code}); see coturn's log (quota, allowed peers, realm)`;
      return [...results, fail(`${url}: the TURN server refused the credential (${res.code} ${res.reason})`, fix)];
    }
    results.push(ok(`${url}: TURN credential accepted, relay address ${res.relayed.address}:${res.relayed.port} (${ms(res.rttMs)})`));
  }
  const gathered = await gatherCandidates(server, { wanted: 'relay', relayOnly: true, bindAddress: opts.bindAddress, timeoutMs: opts.timeoutMs });
  if (gathered.found) {
    results.push(ok(`${url}: node-datachannel gathered a relay candidate ${gathered.found.address}:${gathered.found.port} (${ms(gathered.ms)}): the relayed tier works`));
  } else {
    results.push(fail(`${url}: node-datachannel gathered no relay candidate within ${opts.timeoutMs} ms`,
      endpoint.transport === 'udp'
        ? 'the server accepts the credential but libdatachannel cannot allocate: check the URL\'s transport and that nothing strips UDP to the TURN port'
        : `check that TCP/TLS to ${endpoint.host}:${endpoint.port} is open and the TURN server listens there`));
  }
  return results;
}

/** Probes every STUN and TURN URL the server handed out. */
export async function checkIceServers(servers: IceServer[], opts: IceCheckOptions): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const server of servers) {
    for (const url of Array.isArray(server.urls) ? server.urls : [server.urls]) {
      results.push(...(url.startsWith('turn') ? await checkTurn(url, server, opts) : await checkStun(url, opts)));
    }
  }
  return results;
}
