import { createMetrics, type Counter, type Gauge, type Histogram, type Metrics } from './metrics.ts';

export interface ServerMetrics {
  registry: Metrics;
  connections: Gauge;
  peers: Gauge;
  relayed: Counter;
  rejections: Counter;
  httpRequests: Counter;
  httpSeconds: Histogram;
  frameSeconds: Histogram;
  identityFailures: Counter;
  peerReportedIdentityFailures: Counter;
}

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/** The metric set docs/operations.md lists; every name has the `tabmesh_` prefix. */
export function createServerMetrics(): ServerMetrics {
  const registry = createMetrics();
  return {
    registry,
    connections: registry.gauge('tabmesh_ws_connections', 'Open signaling WebSockets (authenticated or not)'),
    peers: registry.gauge('tabmesh_peers', 'Authenticated peers across all meshes'),
    relayed: registry.counter('tabmesh_frames_relayed_total', 'Signaling frames relayed to another peer, by type'),
    rejections: registry.counter('tabmesh_rejections_total', 'Refused frames, requests and closed sockets, by reason'),
    httpRequests: registry.counter('tabmesh_http_requests_total', 'HTTP requests by route, method and status'),
    httpSeconds: registry.histogram('tabmesh_http_request_duration_seconds', 'HTTP request latency by route', LATENCY_BUCKETS),
    frameSeconds: registry.histogram('tabmesh_frame_handle_seconds', 'Time to validate and route one signaling frame', LATENCY_BUCKETS),
    identityFailures: registry.counter('tabmesh_identity_failures_total', 'Identity proofs the server itself refused (POST /api/token key proof), by reason'),
    peerReportedIdentityFailures: registry.counter(
      'tabmesh_peer_reported_identity_failures_total',
      'Link-proof failures peers say they saw (link-report), by reason; unverified, rate-limited per reporter',
    ),
  };
}
