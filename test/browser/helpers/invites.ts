import { getToken } from '../../helpers/server-process.ts';
import { ADMIN_KEY } from './hub-tabs.ts';

/** Creates an invite through the admin API (autoApprove: the device is approved on redemption). */
export async function createInvite(serverUrl: string, autoApprove: boolean): Promise<{ code: string; url: string }> {
  const token = await getToken(serverUrl, ADMIN_KEY, 'invite-maker');
  const res = await fetch(`${serverUrl}/api/invites`, {
    method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ autoApprove }),
  });
  if (res.status !== 201) throw new Error(`POST /api/invites: ${res.status} ${await res.text()}`);
  return (await res.json()) as { code: string; url: string };
}
