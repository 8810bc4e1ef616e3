// The demo's own session: a signed cookie { uid, exp }, HMAC-SHA256 through Web Crypto (verify compares in
// constant time), serialised by the `cookie` library.
import { parseCookie, stringifySetCookie } from 'cookie';

const SESSION_SECONDS = 7 * 24 * 3600;
const enc = new TextEncoder();
const b64u = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

export interface Session {
  uid: string;
}

export async function createSessions(secretBase64url: string) {
  const key = await crypto.subtle.importKey(
    'raw',
    Buffer.from(secretBase64url, 'base64url'),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign', 'verify'],
  );
  const nameFor = (secure: boolean) => (secure ? '__Host-demo-session' : 'demo-session');
  const attrs = (secure: boolean) => ({ httpOnly: true, sameSite: 'lax' as const, secure, path: '/' });

  return {
    async issue(session: Session, secure: boolean): Promise<string> {
      const body = b64u(enc.encode(JSON.stringify({ ...session, exp: Date.now() + SESSION_SECONDS * 1000 })));
      const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, enc.encode(body)));
      return stringifySetCookie({
        name: nameFor(secure),
        value: `${body}.${b64u(mac)}`,
        maxAge: SESSION_SECONDS,
        ...attrs(secure),
      });
    },
    clear(secure: boolean): string {
      return stringifySetCookie({
        name: nameFor(secure),
        value: '',
        maxAge: 0,
        expires: new Date(0),
        ...attrs(secure),
      });
    },
    async read(request: Request, secure: boolean): Promise<Session | null> {
      const value = parseCookie(request.headers.get('cookie') ?? '')[nameFor(secure)];
      const [body, mac] = value?.split('.') ?? [];
      if (!body || !mac) return null;
      const ok = await crypto.subtle.verify('HMAC', key, Buffer.from(mac, 'base64url'), enc.encode(body));
      if (!ok) return null;
      const parsed = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Session & { exp: number };
      return parsed.exp > Date.now() && typeof parsed.uid === 'string' ? { uid: parsed.uid } : null;
    },
  };
}
