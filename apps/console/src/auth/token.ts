/** What the console reads from a bearer token to show who is signed in; the API verifies it, not this. */
export type Identity = { sub: string; name: string; role: string; sites: string[]; siteId: string; authTime: number | null; expiresAt: number };

const decodeSegment = (segment: string): unknown => {
  const base64 = segment.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(segment.length / 4) * 4, '=');
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
};

export const identityOf = (token: string): Identity | null => {
  try {
    const claims = decodeSegment(token.split('.')[1] ?? '') as Record<string, unknown>;
    const site = claims['site'];
    const sites = typeof site === 'string' ? [site] : Array.isArray(site) ? site.filter((s): s is string => typeof s === 'string') : [];
    if (typeof claims['sub'] !== 'string' || typeof claims['name'] !== 'string' || typeof claims['role'] !== 'string' || sites.length === 0) return null;
    return {
      sub: claims['sub'],
      name: claims['name'],
      role: claims['role'],
      sites,
      siteId: sites[0]!,
      authTime: typeof claims['auth_time'] === 'number' ? claims['auth_time'] : null,
      expiresAt: typeof claims['exp'] === 'number' ? claims['exp'] * 1000 : 0,
    };
  } catch {
    return null;
  }
};
