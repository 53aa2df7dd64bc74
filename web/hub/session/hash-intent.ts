/** What the URL fragment asks for: join with an invite, or sign in with an admin key. */
export type HashIntent = { kind: 'invite'; code: string } | { kind: 'admin'; key: string } | { kind: 'none' };

/**
 * Reads `#invite=CODE` / `#admin=KEY` and removes the fragment from the address bar and history
 * right away, so a key never lingers where a screenshot or shoulder-surfer could find it.
 */
export function takeHashIntent(loc: Location = location, hist: History = history): HashIntent {
  const params = new URLSearchParams(loc.hash.replace(/^#/, ''));
  const invite = params.get('invite')?.trim();
  const admin = params.get('admin')?.trim();
  if (invite || admin) hist.replaceState(null, '', loc.pathname + loc.search);
  if (invite) return { kind: 'invite', code: invite.toUpperCase() };
  if (admin) return { kind: 'admin', key: normalizeKey(admin) };
  return { kind: 'none' };
}

/** Accepts a key as `admin.key` stores it (`admin:tma_…`): the role prefix is not part of the key. */
export function normalizeKey(raw: string): string {
  return raw.trim().replace(/^(admin|agent):/, '');
}
