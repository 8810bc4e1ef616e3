import { parseCookie, stringifySetCookie } from 'cookie';

/** Where the challenge of one purpose lives in this browser. */
export interface ChallengeCookie {
  challengeId: string;
  secret: string;
}

// RFC 6761 loopback names, where browsers other than Chromium refuse Secure cookies over plain http.
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Whether to use `__Host-` + Secure for this request: always, except on a loopback host. */
export function secureFor(url: URL, override: boolean | undefined): boolean {
  if (override !== undefined) return override;
  return !(LOOPBACK.has(url.hostname) || url.hostname.endsWith('.localhost'));
}

/** One cookie per purpose, so a login in one tab and a signup in another never overwrite each other. */
export const cookieName = (prefix: string, purpose: string, secure: boolean) =>
  `${secure ? '__Host-' : ''}${prefix}-${purpose}`;

export function readChallengeCookie(request: Request, name: string): ChallengeCookie | null {
  const header = request.headers.get('cookie');
  if (!header) return null;
  const value = parseCookie(header)[name];
  if (!value) return null;
  // challengeId is base64url, so the first '.' separates it from the secret.
  const dot = value.indexOf('.');
  if (dot < 1 || dot === value.length - 1) return null;
  return { challengeId: value.slice(0, dot), secret: value.slice(dot + 1) };
}

export function setChallengeCookie(
  name: string,
  c: ChallengeCookie,
  maxAgeSeconds: number,
  secure: boolean,
): string {
  return stringifySetCookie({
    name,
    value: `${c.challengeId}.${c.secret}`,
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/', // __Host- requires Path=/ and no Domain
    maxAge: Math.max(1, Math.ceil(maxAgeSeconds)),
  });
}

export function clearChallengeCookie(name: string, secure: boolean): string {
  return stringifySetCookie({
    name,
    value: '',
    httpOnly: true,
    sameSite: 'lax',
    secure,
    path: '/',
    maxAge: 0,
    expires: new Date(0),
  });
}
