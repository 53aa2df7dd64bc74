import { setTimeout as sleep } from 'node:timers/promises';
import { EXIT, intFlag, runCommand, UsageError, type CommandSpecShape } from '../cli/command-line.ts';
import { openCliSession } from '../cli/cli-session.ts';
import { describeMeshFailure, withBriefMesh } from '../cli/brief-mesh.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, readConnection } from '../cli/connection-options.ts';
import { MESH_HELP, MESH_OPTIONS, meshPlatformFrom } from '../cli/mesh-options.ts';

const spec = {
  name: 'ping',
  positionals: 1,
  options: {
    ...CONNECTION_OPTIONS, ...MESH_OPTIONS,
    count: { type: 'string' },
    interval: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
  },
  help: `usage: tabmesh ping PEER --url URL --key KEY [--count N] [--interval MS]

Joins the mesh briefly, opens a route to PEER (DataChannel, or the server as fallback) and
measures application-level round trips (ping/pong MeshMessages).

${CONNECTION_HELP}
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
    const { url, secret } = readConnection(values, process.env);
    const count = intFlag('count', values.count, 4, 1, 10_000);
    const interval = intFlag('interval', values.interval, 1000, 0, 60_000);
    const timeoutMs = intFlag('timeout', values.timeout, 5000, 1, 60_000);
    const platform = meshPlatformFrom(values, process.env);
    const session = await openCliSession(url, secret);
    const human = !values.json;

    return withBriefMesh(session, { platform, p2p: !values['no-p2p'], target: peer }, async (mesh) => {
      const t0 = performance.now();
      const route = await mesh.connect(peer, { timeoutMs: Math.max(timeoutMs, 10_000) }).catch((err: unknown) => {
        throw describeMeshFailure(err, `route to ${peer}`, timeoutMs);
      });
      const connectMs = round(performance.now() - t0);
      if (human) console.log(`PING ${peer}: route open via ${route.tier} in ${connectMs} ms`);
      const rtts: number[] = [];
      let tier = route.tier;
      for (let seq = 1; seq <= count; seq++) {
        try {
          const r = await mesh.ping(peer, { timeoutMs });
          rtts.push(round(r.rttMs));
          tier = r.tier;
          if (human) console.log(`reply from ${peer}: seq=${seq} time=${round(r.rttMs)} ms tier=${r.tier}`);
        } catch (err) {
          if (human) console.log(`no reply from ${peer}: seq=${seq} (${describeMeshFailure(err, 'ping', timeoutMs).message})`);
        }
        if (seq < count && interval > 0) await sleep(interval);
      }
      const lost = count - rtts.length;
      if (values.json) console.log(JSON.stringify({ peer, tier, connectMs, rtts, lost }));
      else {
        const summary = rtts.length ? `, rtt min/avg/max = ${Math.min(...rtts)}/${round(rtts.reduce((a, b) => a + b, 0) / rtts.length)}/${Math.max(...rtts)} ms` : '';
        console.log(`--- ${peer}: ${count} sent, ${rtts.length} received, ${Math.round((lost / count) * 100)}% lost${summary}`);
      }
      return rtts.length ? EXIT.ok : EXIT.failed;
    });
  });
}

const round = (ms: number) => Math.round(ms * 100) / 100;
