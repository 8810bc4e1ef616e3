// The demo app as one Fetch handler: pages, the mailbox-challenge/http endpoints under /auth, a signed
// session cookie, and (in development) the outbox. server.ts serves it on Node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCookie, stringifySetCookie } from 'cookie';
import { createMailboxHandlers } from '../../src/http/index.js';
import type { MailboxFlow } from '../../src/index.js';
import type { OutboxEntry } from './outbox.js';
import { authPage, homePage, outboxPage } from './pages.js';
import { createSessions } from './session.js';

export interface DemoOptions {
  flow: MailboxFlow;
  sessionSecret: string;
  /** Development: serve /dev/outbox from these entries. Omit in production. */
  outbox?: { readonly entries: readonly OutboxEntry[] };
}

interface User {
  id: string;
  email: string;
}

const PAGE_CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
const OUTBOX_CSP =
  "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; frame-ancestors 'none'";
const STATIC: Record<string, [string, string]> = {
  '/app.js': ['public/app.js', 'text/javascript; charset=utf-8'],
  '/style.css': ['public/style.css', 'text/css; charset=utf-8'],
};

const html = (body: string, init: { status?: number; headers?: HeadersInit; csp?: string } = {}) => {
  const headers = new Headers(init.headers);
  headers.set('content-type', 'text/html; charset=utf-8');
  headers.set('cache-control', 'no-store');
  headers.set('content-security-policy', init.csp ?? PAGE_CSP);
  headers.set('x-content-type-options', 'nosniff');
  headers.set('referrer-policy', 'same-origin');
  return new Response(body, { status: init.status ?? 200, headers });
};
const redirect = (location: string, init: HeadersInit = {}) => {
  const headers = new Headers(init);
  headers.set('location', location);
  return new Response(null, { status: 303, headers });
};

export async function createDemoApp(options: DemoOptions): Promise<(request: Request) => Promise<Response>> {
  const { flow } = options;
  const sessions = await createSessions(options.sessionSecret);
  const users = new Map<string, User>(); // by lower-cased address
  const byId = new Map<string, User>();
  const dev = options.outbox !== undefined;
  const secureOf = (request: Request) => {
    const host = new URL(request.url).hostname;
    return !(host === 'localhost' || host === '127.0.0.1' || host === '[::1]');
  };
  const currentUser = async (request: Request) => {
    const session = await sessions.read(request, secureOf(request));
    return session ? (byId.get(session.uid) ?? null) : null;
  };
  const flash = (text: string, secure: boolean) =>
    stringifySetCookie({
      name: 'demo-notice',
      value: text,
      path: '/',
      maxAge: 60,
      sameSite: 'lax',
      httpOnly: true,
      secure,
    });
  /** The page's fetch gets JSON; the one-click link's form POST gets a redirect. */
  const done = (via: 'code' | 'link', setCookies: string[]) => {
    const headers = new Headers();
    for (const c of setCookies) headers.append('set-cookie', c);
    if (via === 'link') return redirect('/', headers);
    headers.set('content-type', 'application/json');
    return new Response(JSON.stringify({ ok: true, redirect: '/' }), { headers });
  };

  const auth = createMailboxHandlers({
    flow,
    purposes: ['login', 'signup', 'email-change'],
    startUrl: '/login',
    // email-change needs a session and binds the user; login and signup never look the address up here.
    beforeStart: async ({ purpose, request }) => {
      if (purpose !== 'email-change') return undefined;
      const user = await currentUser(request);
      if (!user) {
        return Response.json(
          { ok: false, status: 'none', error: { code: 'INVALID_INPUT', message: 'Please sign in first.' } },
          { status: 401 },
        );
      }
      return { userId: user.id };
    },
    // The old address hears about the change as soon as it is asked for, so a hijacker cannot move it silently.
    onStarted: async ({ purpose, email, request }) => {
      if (purpose !== 'email-change') return;
      const user = await currentUser(request);
      if (!user || user.email.toLowerCase() === email.toLowerCase()) return;
      const acceptLanguage = request.headers.get('accept-language') ?? undefined;
      const sent = await flow.notifyEmailChange({
        oldEmail: user.email,
        newEmail: email,
        ...(acceptLanguage !== undefined && { acceptLanguage }),
      });
      // The code to the new address is already on its way; a notice that could not go out is logged.
      if (!sent.ok) console.warn(`email-change notice not sent: ${sent.error.code}`);
    },
    onVerified: async (challenge, request, { via }) => {
      const secure = secureOf(request);
      if (challenge.purpose === 'email-change') {
        const user = challenge.userId ? byId.get(challenge.userId) : undefined;
        const me = await currentUser(request);
        if (!user || me?.id !== user.id) {
          return Response.json(
            { ok: false, status: 'none', error: { code: 'INVALID_INPUT', message: 'Please sign in again.' } },
            { status: 401 },
          );
        }
        const taken = users.get(challenge.email.toLowerCase());
        if (taken && taken.id !== user.id) {
          return Response.json(
            {
              ok: false,
              status: 'none',
              error: { code: 'INVALID_INPUT', message: 'Another account uses that address.' },
            },
            { status: 409 },
          );
        }
        users.delete(user.email.toLowerCase());
        user.email = challenge.email;
        users.set(user.email.toLowerCase(), user);
        return done(via, [
          flash(`Your email address is now ${user.email}. We told your old address.`, secure),
        ]);
      }
      // login and signup alike: the address is proven, so find the account or create it.
      let user = users.get(challenge.email.toLowerCase());
      if (!user) {
        user = { id: crypto.randomUUID(), email: challenge.email };
        users.set(user.email.toLowerCase(), user);
        byId.set(user.id, user);
      }
      return done(via, [await sessions.issue({ uid: user.id }, secure)]);
    },
  });

  return async (request) => {
    const url = new URL(request.url);
    const path = url.pathname;
    if (path.startsWith('/auth/')) return auth.fetch(request);
    const file = STATIC[path];
    if (file && request.method === 'GET') {
      const body = readFileSync(join(import.meta.dirname, file[0]));
      return new Response(body, { headers: { 'content-type': file[1], 'cache-control': 'no-cache' } });
    }
    if (dev && path === '/dev/outbox.json') {
      return Response.json(options.outbox!.entries, { headers: { 'cache-control': 'no-store' } });
    }
    if (dev && path === '/dev/outbox') return html(outboxPage(options.outbox!.entries), { csp: OUTBOX_CSP });
    if (request.method === 'POST' && path === '/logout') {
      // Same check as the handlers: only our own pages may sign someone out.
      const origin = request.headers.get('origin');
      if (origin !== null && origin !== url.origin) return new Response('Forbidden', { status: 403 });
      return redirect('/login', { 'set-cookie': sessions.clear(secureOf(request)) });
    }
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return new Response('Method not allowed', { status: 405 });
    const user = await currentUser(request);
    if (path === '/') {
      if (!user) return redirect('/login');
      const text = parseCookie(request.headers.get('cookie') ?? '')['demo-notice'] || null;
      const headers = new Headers();
      if (text)
        headers.set(
          'set-cookie',
          stringifySetCookie({ name: 'demo-notice', value: '', path: '/', maxAge: 0 }),
        );
      return html(homePage(user.email, text, dev), { headers });
    }
    if (path === '/login' || path === '/signup') {
      if (user) return redirect('/');
      return html(authPage(path.slice(1), dev));
    }
    if (path === '/change-email') {
      if (!user) return redirect('/login');
      return html(authPage('email-change', dev));
    }
    return html('<!doctype html><title>Not found</title><p>Not found. <a href="/">Home</a></p>', {
      status: 404,
    });
  };
}
