import { expect } from 'vitest';
import { api, type ServerProcess } from '../../helpers/server-process.ts';
import { startNodePeer, type NodePeer } from './tabmesh-cli.ts';

type PairingRequest = { id: string; name: string; status: string };

/**
 * Starts `tabmesh node --code` with a fresh pairing code, approves its request as the admin (with
 * `adminToken`), and resolves once the node printed that it joined.
 */
export async function pairNodeByCode(
  server: ServerProcess, adminToken: () => Promise<string>,
  node: { name: string; dataDir: string; args?: string[]; env?: Record<string, string> },
): Promise<NodePeer> {
  const admin = async (method: string, path: string) => {
    const res = await api(server, method, path, { token: await adminToken(), ...(method === 'POST' ? { body: {} } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  const { code } = (await admin('POST', '/api/pairing/codes')) as { code: string };
  const pending = async () => ((await admin('GET', '/api/pairing/requests')) as { requests: PairingRequest[] }).requests.find((r) => r.name === node.name && r.status === 'pending');
  const joining = startNodePeer({ url: server.url, name: node.name, dataDir: node.dataDir, args: ['--code', code, ...(node.args ?? [])], ...(node.env ? { env: node.env } : {}) });
  // Its failure is reported by the await below; until then nobody may see it unhandled.
  joining.catch(() => undefined);
  await expect.poll(pending, { timeout: 20_000 }).toBeTruthy();
  await admin('POST', `/api/pairing/requests/${(await pending())!.id}/approve`);
  return joining;
}
