/**
 * node-datachannel's polyfill turns each ICE server into `turn:USER:PASS@host:port`, and
 * libdatachannel splits that at the first ':' and '@' (then percent-decodes each part). TURN REST
 * usernames are `expiry:peerId`, so unencoded they authenticate as user `expiry` and always get
 * 401 (libdatachannel issue #340). Percent-encoding both parts keeps them intact.
 */
export interface IceServerInit {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Returns copies of `servers` with username/credential percent-encoded for node-datachannel. */
export function encodeIceServersForLibdatachannel(servers: readonly IceServerInit[]): IceServerInit[] {
  return servers.map((s) => ({
    urls: Array.isArray(s.urls) ? [...s.urls] : s.urls,
    ...(s.username !== undefined ? { username: encodeURIComponent(s.username) } : {}),
    ...(s.credential !== undefined ? { credential: encodeURIComponent(s.credential) } : {}),
  }));
}
