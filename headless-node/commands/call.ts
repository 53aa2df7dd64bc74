import { CliError, EXIT, intFlag, runCommand, UsageError, type CommandSpecShape } from '../cli/command-line.ts';
import { trace } from '../cli/trace.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, readConnection } from '../cli/connection-options.ts';
import { MESH_HELP, MESH_OPTIONS, meshPlatformFrom } from '../cli/mesh-options.ts';
import { createStreamPrinter } from '../cli/result-printer.ts';
import { describeNodeFailure, RUNNING_NODE_HELP, RUNNING_NODE_OPTIONS, runningNodeFor } from '../cli/running-node.ts';
import type { LocalApiClient } from '../local-api/client.ts';

const spec = {
  name: 'call',
  options: {
    ...CONNECTION_OPTIONS, ...MESH_OPTIONS, ...RUNNING_NODE_OPTIONS,
    skill: { type: 'string' },
    input: { type: 'string' },
    to: { type: 'string' },
    stream: { type: 'boolean' },
    json: { type: 'boolean' },
    timeout: { type: 'string' },
  },
  help: `usage: tabmesh call (--url URL --key KEY | --data-dir DIR) --skill NAME [--input JSON] [--to PEER] [--stream] [--json]

Joins the mesh briefly, finds an agent offering the skill (or uses --to), runs the task
peer-to-peer (falling back to the server when no DataChannel opens), prints the result, leaves.
With --data-dir of a running tabmesh node, the node runs the call over its open links instead.

${CONNECTION_HELP}
${RUNNING_NODE_HELP}
  --skill NAME       the skill to run (required)
  --input JSON       the skill's input as JSON, e.g. '{"text":"hi"}' (default: none)
  --to PEER          run on this peer id (or agent id PEER:NAME) instead of routing by skill
  --stream           print streamed chunks as they arrive
  --json             print {"result", "peer", "tier", "ms"}; with --stream, one {"chunk"} line per chunk first
  --timeout SECONDS  give up after this long, 1-3600 (default 60)
${MESH_HELP}

Without --json the result goes to stdout (strings as they are, anything else as JSON) and a
"peer · tier · ms" line to stderr. Exit codes: 0 done, 1 the task failed (no agent, skill
error, timeout, peer gone), 2 bad flags or --input, 3 server unreachable or key refused.`,
} satisfies CommandSpecShape;

/** `tabmesh call`: one task, run peer-to-peer. */
export async function run(args: string[]): Promise<number> {
  return runCommand(spec, args, async (values) => {
    const skill = values.skill;
    if (!skill) throw new UsageError('--skill is required');
    const input = parseInput(values.input);
    const timeoutMs = intFlag('timeout', values.timeout, 60, 1, 3600) * 1000;
    const printer = createStreamPrinter({ json: Boolean(values.json) });
    const node = await runningNodeFor(values);
    if (node) return callThroughNode(node, { skill, input, timeoutMs, to: values.to, stream: Boolean(values.stream) }, printer);

    const { url, secret } = readConnection(values, process.env);
    const platform = await meshPlatformFrom(values, process.env);

    // The one-shot path's modules load only here: a call through a running node starts faster without them.
    const [{ openCliSession }, { describeMeshFailure, withBriefMesh }] = await Promise.all([import('../cli/cli-session.ts'), import('../cli/brief-mesh.ts')]);
    const session = await openCliSession(url, secret);
    trace(`token for ${session.peerId}`);
    const target = values.to ? values.to.split(':')[0]! : (await session.controlPlane.route(skill))?.peerId;
    trace(`target ${target ?? 'none'}`);
    if (!target) throw new CliError(`no active agent offers skill "${skill}" (start one: tabmesh node --skills ${skill} …)`);

    const result = await withBriefMesh(session, { platform, p2p: !values['no-p2p'], target }, (mesh) =>
      mesh.call(target, skill, input, { timeoutMs, ...(values.stream ? { stream: true, onChunk: printer.chunk } : {}) })
        .catch((err: unknown) => {
          throw describeMeshFailure(err, `skill "${skill}" on ${target}`, timeoutMs);
        }));
    printer.result({ result: result.output, peer: result.peerId, tier: result.tier, ...(result.hops ? { hops: result.hops } : {}), ms: Math.round(result.ms * 100) / 100 });
    return EXIT.ok;
  });
}

/** The same call, run by the node on its open links (no join; works while the server is down). */
async function callThroughNode(
  node: LocalApiClient,
  c: { skill: string; input: unknown; timeoutMs: number; to: string | undefined; stream: boolean },
  printer: ReturnType<typeof createStreamPrinter>,
): Promise<number> {
  const peer = c.to?.split(':')[0];
  try {
    const r = await node.call(c.skill, c.input, { timeoutMs: c.timeoutMs, ...(peer ? { peer } : {}), ...(c.stream ? { stream: true, onChunk: printer.chunk } : {}) })
      .catch((err: unknown) => {
        if ((err as { code?: string }).code === 'no-agent') throw new CliError(`no active agent offers skill "${c.skill}" (start one: tabmesh node --skills ${c.skill} …)`);
        throw describeNodeFailure(err, `skill "${c.skill}" on ${peer ?? 'the mesh'}`, c.timeoutMs);
      });
    printer.result({ result: r.output, peer: r.peerId, tier: r.tier, ...(r.hops ? { hops: r.hops } : {}), ms: Math.round(r.ms * 100) / 100 });
    return EXIT.ok;
  } finally {
    node.close();
  }
}

function parseInput(raw: string | undefined): unknown {
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch (err) {
    throw new UsageError(`--input must be JSON (${(err as Error).message}); quote it for the shell, e.g. --input '{"text":"hi"}'`);
  }
}
