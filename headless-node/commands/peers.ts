import type { AgentView } from '../../protocol/index.ts';
import { runCommand, type CommandSpecShape } from '../cli/command-line.ts';
import { openCliSession } from '../cli/cli-session.ts';
import { CONNECTION_HELP, CONNECTION_OPTIONS, readConnection } from '../cli/connection-options.ts';
import { describeNodeFailure, RUNNING_NODE_HELP, RUNNING_NODE_OPTIONS, runningNodeFor } from '../cli/running-node.ts';
import type { PeerRow } from '../local-api/client.ts';

const spec = {
  name: 'peers',
  options: { ...CONNECTION_OPTIONS, ...RUNNING_NODE_OPTIONS, json: { type: 'boolean' } },
  help: `usage: tabmesh peers (--url URL --key KEY | --data-dir DIR) [--json]

Lists the peers connected to the mesh and the agents (with skills and health) they host. With
--data-dir of a running tabmesh node, the node asks; while the server is down it answers from
its own view (peers it knows, agents as last listed; JOINED shows "-").

${CONNECTION_HELP}
${RUNNING_NODE_HELP}
  --json             print {"peers":[{peerId, role, joinedAt, agents:[{id, name, health, skills}]}]}`,
} satisfies CommandSpecShape;

/** `tabmesh peers`: the mesh as the server sees it (HTTP only; does not join). */
export async function run(args: string[]): Promise<number> {
  return runCommand(spec, args, async (values) => {
    const rows = await listPeers(values);
    if (values.json) {
      console.log(JSON.stringify({ peers: rows }));
      return 0;
    }
    if (!rows.length) {
      console.log('no peers connected');
      return 0;
    }
    const now = Date.now();
    const table = rows.map((r) => [r.peerId, r.role ?? '-', r.joinedAt === undefined ? '-' : ago(now - r.joinedAt), r.agents.map(agentText).join('; ') || '-']);
    printTable(['PEER', 'ROLE', 'JOINED', 'AGENTS'], table);
    return 0;
  });
}

async function listPeers(values: Parameters<typeof runningNodeFor>[0] & Parameters<typeof readConnection>[0]): Promise<PeerRow[]> {
  const node = await runningNodeFor(values);
  if (node) {
    try {
      return (await node.peers().catch((err: unknown) => {
        throw describeNodeFailure(err, 'listing peers', 0);
      })).peers;
    } finally {
      node.close();
    }
  }
  const { url, secret } = readConnection(values, process.env);
  const session = await openCliSession(url, secret);
  const [peers, agents] = await Promise.all([session.controlPlane.peers(), session.controlPlane.agents()]);
  return peers.map((p) => ({
    ...p,
    agents: agents.filter((a) => a.peerId === p.peerId).map((a) => ({ id: a.id, name: a.name, health: a.health, skills: a.skills.map((s) => s.name) })),
  }));
}

function agentText(a: { name: string; health: AgentView['health']; skills: string[] }): string {
  return `${a.name} [${a.health}]: ${a.skills.join(', ')}`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s ago` : s < 3600 ? `${Math.round(s / 60)}m ago` : `${Math.round(s / 3600)}h ago`;
}

function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '));
}
