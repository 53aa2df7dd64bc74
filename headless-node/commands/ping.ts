import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, intFlag, runCommand, UsageError, type CommandSpecShape } from '../cli/command-line.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, readConnection } from '../cli/connection-options.ts';
import { MESH_HELP, MESH_OPTIONS, meshPlatformFrom } from '../cli/mesh-options.ts';
import { describeNodeFailure, RUNNING_NODE_HELP, RUNNING_NODE_OPTIONS, runningNodeFor } from '../cli/running-node.ts';
import type { PingResult } from '../../web/mesh/index.ts';
import type { RouteInfo } from '../../web/mesh/index.ts';

const spec = {
  name: 'ping',
  positionals: 1,
  options: {
    ...CONNECTION_OPTIONS, ...MESH_OPTIONS, ...RUNNING_NODE_OPTIONS,
    count: { type: 'string' },
    interval: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `usage: tabmesh ping PEER (--url URL --key KEY | --data-dir DIR) [--count N] [--interval MS]

Joins the mesh briefly, opens a route to PEER (DataChannel, or the server as fallback) and
measures application-level round trips (ping/pong MeshMessages). With --data-dir of a running
tabmesh node, the node pings over its own links instead.

${CONNECTION_HELP}
${RUNNING_NODE_HELP}
  --count N          pings to send, 1-10000 (default 4)
  --interval MS      pause between pings, 0-60000 (default 1000)
  --timeout MS       wait per ping, 1-60000 (default 5000)
  --json             print {"peer", "tier", "connectMs", "rtts": [...], "lost"} at the end
${MESH_HELP}

Exit codes: 0 at least one reply, 1 no reply, 2 bad flags, 3 server unreachable or key refused.`,
} satisfies CommandSpecShape;

/** `tabmesh ping PEER`: RTTs over the mesh. */
export async function run(args: string[]): Promise<number> {
  return runCommand(spec, args, async (values, positionals) => {
    const peer = positionals[0];
    if (!peer) throw new UsageError('PEER is required: tabmesh ping PEER (tabmesh peers lists peer ids)');
    const count = intFlag('count', values.count, 4, 1, 10_000);
    const interval = intFlag('interval', values.interval, 1000, 0, 60_000);
    const timeoutMs = intFlag('timeout', values.timeout, 5000, 1, 60_000);
    const opts = { peer, count, interval, timeoutMs, json: Boolean(values.json) };
    const node = await runningNodeFor(values);
    if (node) {
      try {
        return await pingLoop(opts, {
          connect: () => node.connect(peer, { timeoutMs: Math.max(timeoutMs, 10_000) }).catch((err: unknown) => {
            throw describeNodeFailure(err, `route to ${peer}`, timeoutMs);
          }),
          ping: () => node.ping(peer, { timeoutMs }),
          describe: (err) => describeNodeFailure(err, 'ping', timeoutMs).message,
        });
      } finally {
        node.close();
      }
    }
    const { url, secret } = readConnection(values, process.env);
    const platform = await meshPlatformFrom(values, process.env);
    // The one-shot path's modules load only here: a call through a running node starts faster without them.
    const [{ openCliSession }, { describeMeshFailure, withBriefMesh }] = await Promise.all([import('../cli/cli-session.ts'), import('../cli/brief-mesh.ts')]);
    const session = await openCliSession(url, secret);
    return withBriefMesh(session, { platform, p2p: !values['no-p2p'], target: peer }, (mesh) => pingLoop(opts, {
      connect: () => mesh.connect(peer, { timeoutMs: Math.max(timeoutMs, 10_000) }).catch((err: unknown) => {
        throw describeMeshFailure(err, `route to ${peer}`, timeoutMs);
      }),
      ping: () => mesh.ping(peer, { timeoutMs }),
      describe: (err) => describeMeshFailure(err, 'ping', timeoutMs).message,
    }));
  });
}

/** Opens the route, pings `count` times and prints replies and the summary (both paths). */
async function pingLoop(
  o: { peer: string; count: number; interval: number; timeoutMs: number; json: boolean },
  via: { connect(): Promise<Pick<RouteInfo, 'tier'>>; ping(): Promise<Pick<PingResult, 'rttMs' | 'tier' | 'hops'>>; describe(err: unknown): string },
): Promise<number> {
  const { peer, count, interval } = o;
  const human = !o.json;
  const t0 = performance.now();
  const route = await via.connect();
  const connectMs = round(performance.now() - t0);
  if (human) console.log(`PING ${peer}: route open via ${route.tier} in ${connectMs} ms`);
  const rtts: number[] = [];
  let tier = route.tier;
  for (let seq = 1; seq <= count; seq++) {
    try {
      const r = await via.ping();
      rtts.push(round(r.rttMs));
      tier = r.tier;
      if (human) console.log(`reply from ${peer}: seq=${seq} time=${round(r.rttMs)} ms tier=${r.tier}${r.hops ? ` hops=${r.hops}` : ''}`);
    } catch (err) {
      if (human) console.log(`no reply from ${peer}: seq=${seq} (${via.describe(err)})`);
    }
    if (seq < count && interval > 0) await sleep(interval);
  }
  const lost = count - rtts.length;
  if (o.json) console.log(JSON.stringify({ peer, tier, connectMs, rtts, lost }));
  else {
    const summary = rtts.length ? `, rtt min/avg/max = ${Math.min(...rtts)}/${round(rtts.reduce((a, b) => a + b, 0) / rtts.length)}/${Math.max(...rtts)} ms` : '';
    console.log(`--- ${peer}: ${count} sent, ${rtts.length} received, ${Math.round((lost / count) * 100)}% lost${summary}`);
  }
  return rtts.length ? EXIT.ok : EXIT.failed;
}

const round = (ms: number) => Math.round(ms * 100) / 100;
