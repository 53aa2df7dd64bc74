/**
 * The floor of the signaling benchmark: the least work any relay on Node + ws can do per frame.
 * It speaks tabmesh's frames but does none of tabmesh's work: no token, no JSON parse, no
 * validation, no rate gate, no metrics; it finds `"to":"` in the raw bytes, appends the sender's
 * `from` and writes the frame out, corked per tick like tabmesh. What is left is one read, ws
 * decode, ws encode and one write per frame, which every Node relay (peerjs included) also pays,
 * so `bare / peerjs` bounds what any Node + ws relay can reach against peerjs on this machine.
 * Clients join with `ws://host/?id=ID` and get `{"type":"welcome"}`. Never a product server.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';

const TO = Buffer.from('"to":"');
const QUOTE = 0x22;
const peers = new Map<string, { ws: WebSocket; socket: Duplex; corked: boolean }>();

const http = createServer((_, res) => res.writeHead(404).end());
const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 65536 });

http.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  const id = new URL(req.url ?? '/', 'http://x').searchParams.get('id');
  if (!id || peers.has(id)) return void socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
  wss.handleUpgrade(req, socket, head, (ws) => {
    const self = { ws, socket, corked: false };
    const stamp = Buffer.from(`,"from":${JSON.stringify(id)}}`);
    peers.set(id, self);
    ws.send('{"type":"welcome"}');
    ws.on('message', (data: Buffer) => {
      const at = data.indexOf(TO);
      if (at < 0) return;
      const start = at + TO.length;
      const end = data.indexOf(QUOTE, start);
      const target = end < 0 ? undefined : peers.get(data.toString('latin1', start, end));
      if (!target) return;
      if (!target.corked) {
        target.corked = true;
        target.socket.cork();
        process.nextTick(() => ((target.corked = false), target.socket.uncork()));
      }
      target.ws.send(Buffer.concat([data.subarray(0, data.length - 1), stamp]), { binary: false });
    });
    ws.on('close', () => peers.get(id) === self && peers.delete(id));
  });
});

http.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${(http.address() as AddressInfo).port}`);
});
// Exit normally on SIGTERM so --cpu-prof (BENCH_SERVER_NODE_ARGS) can write its profile.
process.on('SIGTERM', () => process.exit(0));
