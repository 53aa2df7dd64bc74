import { generateIdentity } from '../../protocol/index.ts';
import { apiKeyTokenSource } from '../../web/mesh/signaling/token-source.ts';

/** `tabmesh_frames_relayed_total` by frame type, read from a tabmesh server's /metrics with an admin API key (`X-API-Key`). */
export async function relayedByType(url: string, adminKey: string): Promise<Map<string, number>> {
  const text = await scrapeMetrics(url, adminKey);
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^tabmesh_frames_relayed_total\{type="([a-z-]+)"\} (\d+(?:\.\d+)?)$/gm)) out.set(m[1]!, Number(m[2]));
  return out;
}

/** Every signaling frame the server handled so far (hello, link-report, … as well as relayed ones): the frame-handling histogram's count. */
export async function framesHandled(url: string, adminKey: string): Promise<number> {
  const text = await scrapeMetrics(url, adminKey);
  if (!text.includes('tabmesh_frame_handle_seconds')) throw new Error('/metrics: no tabmesh_frame_handle_seconds');
  // A histogram with no observation yet has no _count line.
  const m = /^tabmesh_frame_handle_seconds_count(?:\{\})? (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** `GET <url><path>` with a token for a fresh identity under API key `key`. */
export async function getWithKey(url: string, key: string, path: string): Promise<Response> {
  const { identity } = await generateIdentity();
  const token = await apiKeyTokenSource({ url, key, peerId: identity.peerId, identity, fetch })();
  return fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
}

async function scrapeMetrics(url: string, adminKey: string): Promise<string> {
  // With the key itself, as a Prometheus scraper does: minting a token first (nonce, key proof)
  // cost the server a join's worth of CPU inside the windows benchmarks take it out of.
  const res = await fetch(`${url}/metrics`, { headers: { 'x-api-key': adminKey } });
  const text = await res.text();
  // A refused scrape would read as zero frames per link: fail instead.
  if (!res.ok || !text.includes('tabmesh_frames_relayed_total')) throw new Error(`/metrics: ${res.status}, no tabmesh_frames_relayed_total`);
  return text;
}

/** Per-type difference of two relayedByType readings (types that did not grow are left out). */
export function relayedSince(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [type, n] of after) {
    const d = n - (before.get(type) ?? 0);
    if (d > 0) out.set(type, d);
  }
  return out;
}
