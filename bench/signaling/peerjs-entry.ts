/**
 * peerjs-server for the baseline, started from the library rather than its CLI: the CLI logs a line
 * per connection to stdout, which would bill peerjs for console I/O the relay itself does not need.
 */
import type { AddressInfo } from 'node:net';
import { PeerServer } from 'peer';

PeerServer(
  {
    host: '127.0.0.1',
    port: Number(process.env.PORT ?? 0),
    key: 'peerjs',
    path: '/',
    concurrent_limit: Number(process.env.PEERJS_CONCURRENT_LIMIT ?? 5000),
  },
  (server) => console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`),
);

// Exit normally on SIGTERM so --cpu-prof (BENCH_SERVER_NODE_ARGS) can write its profile.
process.on('SIGTERM', () => process.exit(0));
