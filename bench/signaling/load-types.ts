import type { Summary } from '../lib/stats.ts';

/** How the load process reaches a server under test. */
export type ServerTarget =
  /** tabmesh: tokens from `POST <tokenUrl>/api/token`; client i uses apiKeys[floor(i / peersPerKey) % length]. */
  | { kind: 'tabmesh'; url: string; tokenUrl: string; apiKeys: string[]; peersPerKey: number }
  /** peerjs-server: `/peerjs?key=peerjs&id=…&token=…`. */
  | { kind: 'peerjs'; url: string }
  /** The bare ws relay (bench/signaling/bare-relay-entry.ts): `/?id=…`, tabmesh frames. */
  | { kind: 'bare'; url: string };

export interface ConnectArgs {
  target: ServerTarget;
  count: number;
  /** Peer ids are `<idPrefix>-<i>`; a fresh prefix per run avoids clashing with closing sockets. */
  idPrefix: string;
  /** Sockets opening at once (64). */
  concurrency?: number;
}

export interface ConnectResult {
  connected: number;
  seconds: number;
}

export interface RelayArgs {
  /** Frames each client keeps in flight to its partner. */
  window: number;
  warmupMs: number;
  durationMs: number;
  /** Server process, for its CPU time over the measured window. */
  serverPid: number;
  /** Longest wait (ms) for in-flight frames after the window closes. */
  drainTimeoutMs?: number;
}

export interface RelayResult {
  clients: number;
  window: number;
  delivered: number;
  seconds: number;
  framesPerSec: number;
  latencyMs: Summary;
  serverCpuPercent: number;
  /** Frames relayed per second of server CPU (user + system, all threads). */
  framesPerServerCpuSecond: number;
  loaderCpuPercent: number;
  meanFrameBytes: number;
  /** Delivered frames checked in full (sender stamp and payload), all of which matched. */
  verified: number;
}
