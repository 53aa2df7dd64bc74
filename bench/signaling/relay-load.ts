import { processCpuSeconds } from '../lib/proc-stats.ts';
import { summarize } from '../lib/stats.ts';
import type { RelayArgs, RelayResult } from './load-types.ts';
import type { BenchClient, SignalingProtocol } from './protocols.ts';

// One delivered frame in this many is parsed and checked in full (sender stamp, target, payload).
const VERIFY_EVERY = 997;

/**
 * Closed-loop relay between client pairs (0↔1, 2↔3, …): every client keeps `window` frames in flight
 * to its partner and sends the next one when the partner receives one. Frames on one socket arrive
 * in order, so a per-sender ring of send times gives each frame's one-way latency (same clock).
 */
export function runRelay(clients: BenchClient[], protocol: SignalingProtocol, args: RelayArgs): Promise<RelayResult> {
  const n = clients.length;
  const w = args.window;
  if (n < 2 || n % 2 !== 0) return Promise.reject(new Error(`relay needs an even number of clients, got ${n}`));
  const frames = clients.map((_, i) => protocol.framesTo(clients[i ^ 1]!.id));
  const sentAt = new Float64Array(n * w);
  const sentFrame = new Int32Array(n * w);
  const head = new Int32Array(n);
  const inFlightOf = new Int32Array(n);
  const nextFrame = new Int32Array(n);
  const latencies: number[] = [];
  let inFlight = 0;
  let received = 0;
  let verified = 0;
  let running = true;
  let measureStart = Number.POSITIVE_INFINITY;
  let measureEnd = Number.POSITIVE_INFINITY;
  let serverCpu0 = 0;
  let serverCpu = 0;
  let loaderCpu0 = process.cpuUsage();
  let loaderCpu = { user: 0, system: 0 };

  // Sends made in one tick to one socket leave in one write, so the load process spends its CPU on
  // frames rather than syscalls and stays ahead of either server.
  const corked = new Uint8Array(n);
  const corkedList: number[] = [];
  const uncorkAll = () => {
    for (const i of corkedList) (corked[i] = 0), clients[i]!.socket.uncork();
    corkedList.length = 0;
  };
  const send = (i: number) => {
    if (!corked[i]) {
      corked[i] = 1;
      clients[i]!.socket.cork();
      if (corkedList.push(i) === 1) process.nextTick(uncorkAll);
    }
    const slot = i * w + ((head[i]! + inFlightOf[i]!) % w);
    const k = nextFrame[i]!;
    nextFrame[i] = (k + 1) % frames[i]!.length;
    sentFrame[slot] = k;
    sentAt[slot] = performance.now();
    inFlightOf[i]!++;
    inFlight++;
    clients[i]!.ws.send(frames[i]![k]!);
  };

  return new Promise<RelayResult>((resolve, reject) => {
    const timers: NodeJS.Timeout[] = [];
    const onClose = (c: BenchClient) => () => running && fail(new Error(`${c.id} was closed by the server during the run`));
    const closeHandlers = clients.map((c) => {
      const h = onClose(c);
      c.ws.once('close', h);
      return h;
    });
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      running = false;
      timers.forEach(clearTimeout);
      clients.forEach((c, i) => ((c.onFrame = () => {}), c.ws.off('close', closeHandlers[i]!)));
      if (err) return reject(err);
      const seconds = (measureEnd - measureStart) / 1000;
      resolve({
        clients: n, window: w, delivered: latencies.length, seconds,
        framesPerSec: latencies.length / seconds,
        latencyMs: summarize(latencies),
        serverCpuPercent: ((serverCpu - serverCpu0) / seconds) * 100,
        framesPerServerCpuSecond: latencies.length / Math.max(serverCpu - serverCpu0, 0.01),
        loaderCpuPercent: ((loaderCpu.user + loaderCpu.system) / 1e6 / seconds) * 100,
        meanFrameBytes: frames[0]!.reduce((s, f) => s + Buffer.byteLength(f), 0) / frames[0]!.length,
        verified,
      });
    };
    const fail = (err: Error) => finish(err);

    clients.forEach((c, j) => {
      const i = j ^ 1;
      c.onFrame = (data) => {
        const kind = protocol.classify(data);
        if (kind === 'ignored') return;
        if (kind === 'refused' || inFlightOf[i] === 0) return fail(new Error(`${c.id} got an unexpected frame: ${data.toString().slice(0, 200)}`));
        const t = performance.now();
        const slot = i * w + head[i]!;
        head[i] = (head[i]! + 1) % w;
        inFlightOf[i]!--;
        inFlight--;
        if (t >= measureStart && t < measureEnd) latencies.push(t - sentAt[slot]!);
        if (received++ % VERIFY_EVERY === 0) {
          if (!protocol.verify(JSON.parse(data.toString()), frames[i]![sentFrame[slot]!]!, clients[i]!.id, c.id)) {
            return fail(new Error(`${c.id} got a frame that does not match what ${clients[i]!.id} sent: ${data.toString().slice(0, 200)}`));
          }
          verified++;
        }
        if (running) send(i);
        else if (inFlight === 0) finish();
      };
    });

    timers.push(setTimeout(() => {
      measureStart = performance.now();
      serverCpu0 = processCpuSeconds(args.serverPid);
      loaderCpu0 = process.cpuUsage();
      timers.push(setTimeout(() => {
        measureEnd = performance.now();
        serverCpu = processCpuSeconds(args.serverPid);
        loaderCpu = process.cpuUsage(loaderCpu0);
        running = false;
        if (inFlight === 0) return finish();
        timers.push(setTimeout(() => fail(new Error(`${inFlight} frames still undelivered ${args.drainTimeoutMs ?? 10_000} ms after the run`)), args.drainTimeoutMs ?? 10_000));
      }, args.durationMs));
    }, args.warmupMs));

    for (let i = 0; i < n; i++) for (let k = 0; k < w; k++) send(i);
  });
}
