// Cross-site request forgery: the challenge cookie is SameSite=Lax, so a cross-site POST never carries it;
// on top of that every POST must come from an allowed origin. Browsers send `Sec-Fetch-Site` (all current
// ones) and `Origin` (on every POST); a request with neither is not from a browser a victim is using.

/** Whether a state-changing request may proceed. */
export function sameOriginPost(request: Request, allowedOrigins: ReadonlySet<string>): boolean {
  const origin = request.headers.get('origin');
  // "null" (an opaque origin, or a page with Referrer-Policy: no-referrer) proves nothing either way.
  if (origin !== null && origin !== 'null') return allowedOrigins.has(origin);
  const site = request.headers.get('sec-fetch-site');
  // 'same-site' is refused too: a sibling subdomain is another party.
  if (site !== null) return site === 'same-origin';
  // "null" alone: a browser that predates Sec-Fetch-Site (Safari before 16.4), posting from a sandboxed
  // frame or a no-referrer page, which a cross-site form can be. It cannot show it is ours: refused. With
  // neither header the request is not from a victim's browser (curl, a server).
  return origin === null;
}
