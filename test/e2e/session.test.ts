// The demo's session cookie: HMAC-signed through Web Crypto; a changed byte, another key or an old cookie
// reads as signed out.
import { parseSetCookie } from 'cookie';
import { describe, expect, it, vi } from 'vitest';
import { createSessions } from '../../examples/demo/session.js';
import { generateKey } from '../../src/index.js';

const requestWith = (setCookie: string) => {
  const c = parseSetCookie(setCookie);
  return new Request('http://localhost/', { headers: { cookie: `${c.name}=${c.value}` } });
};

describe('demo session cookie', () => {
  it('round-trips, HttpOnly and SameSite=Lax, __Host- when secure', async () => {
    const sessions = await createSessions(generateKey().secret);
    const plain = await sessions.issue({ uid: 'u1' }, false);
    expect(parseSetCookie(plain)).toMatchObject({
      name: 'demo-session',
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
    });
    expect(await sessions.read(requestWith(plain), false)).toEqual({ uid: 'u1' });
    const secure = await sessions.issue({ uid: 'u1' }, true);
    expect(parseSetCookie(secure)).toMatchObject({ name: '__Host-demo-session', secure: true });
  });

  it('refuses a tampered value, another key, and an expired session', async () => {
    const secret = generateKey().secret;
    const sessions = await createSessions(secret);
    const issued = await sessions.issue({ uid: 'u1' }, false);
    const { value } = parseSetCookie(issued);
    const [body, mac] = value!.split('.') as [string, string];
    const forged = Buffer.from(JSON.stringify({ uid: 'admin', exp: Date.now() + 1e9 })).toString('base64url');
    const read = (v: string) =>
      sessions.read(new Request('http://localhost/', { headers: { cookie: `demo-session=${v}` } }), false);
    expect(await read(`${forged}.${mac}`)).toBeNull();
    const flipped = mac.slice(0, 5) + (mac[5] === 'A' ? 'B' : 'A') + mac.slice(6);
    expect(await read(`${body}.${flipped}`)).toBeNull();
    expect(await read('garbage')).toBeNull();
    const other = await createSessions(generateKey().secret);
    expect(await other.read(requestWith(issued), false)).toBeNull();
    vi.useFakeTimers({ now: Date.now() + 8 * 24 * 3600 * 1000 });
    try {
      expect(await sessions.read(requestWith(issued), false)).toBeNull();
    } finally {
      vi.useRealTimers();
    }
  });

  it('clears with Max-Age=0', async () => {
    const sessions = await createSessions(generateKey().secret);
    expect(parseSetCookie(sessions.clear(false))).toMatchObject({ name: 'demo-session', maxAge: 0 });
  });
});
