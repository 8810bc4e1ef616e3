import { parseSetCookie } from 'cookie';
import { describe, expect, it, vi } from 'vitest';
import { createMailboxHandlers } from '../../src/http/index.js';
import { createMailboxFlow, generateKey } from '../../src/index.js';
import { createTestOutbox } from '../../src/testing/index.js';
import { Browser, setup, wrong } from './_client.js';

const EMAIL = 'ada@example.com';
const UI_FIELDS = ['expiresAt', 'resendAvailableAt', 'attemptsRemaining', 'codeLength', 'codeAlphabet'];

describe('start', () => {
  it('emails a code, sets an HttpOnly SameSite=Lax cookie per purpose, answers what the UI needs', async () => {
    const { browser, outbox, clock } = setup();
    const r = await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    expect(r.status).toBe(200);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const body = await r.json();
    expect(body).toMatchObject({
      ok: true,
      purpose: 'login',
      status: 'pending',
      email: EMAIL,
      expiresAt: clock.now() + 600_000,
      attemptsRemaining: 5,
      codeLength: 6,
      codeAlphabet: 'digits',
    });
    for (const f of UI_FIELDS) expect(body).toHaveProperty(f);
    expect(JSON.stringify(body)).not.toContain(outbox.lastCode(EMAIL));
    const [line] = r.headers.getSetCookie();
    const c = parseSetCookie(line!);
    expect(c).toMatchObject({ name: 'mc-login', httpOnly: true, sameSite: 'lax', path: '/' });
    expect(c.secure).toBeFalsy(); // localhost: no Secure, no __Host-
    expect(c.maxAge).toBe(3600);
    expect(JSON.stringify(body)).not.toContain(c.value!.split('.')[1]!); // the secret never reaches script
  });

  it('uses __Host- and Secure outside localhost', async () => {
    const { handlers } = setup();
    const browser = new Browser(handlers.fetch, 'https://app.example');
    const r = await browser.post('/auth/start', { email: EMAIL, purpose: 'signup' });
    expect(r.status).toBe(200);
    const c = parseSetCookie(r.headers.getSetCookie()[0]!);
    expect(c).toMatchObject({ name: '__Host-mc-signup', secure: true, httpOnly: true, path: '/' });
    expect(c.domain).toBeUndefined();
  });

  it('reads HTML form bodies too', async () => {
    const { browser, outbox } = setup();
    const r = await browser.post('/auth/start', { email: EMAIL, purpose: 'login' }, { form: true });
    expect(r.status).toBe(200);
    expect(outbox.messages).toHaveLength(1);
  });

  it('answers 400 with the failing field for bad input, and sends nothing', async () => {
    const { browser, outbox } = setup();
    const bad = await browser.post('/auth/start', { email: 'not-an-address', purpose: 'login' });
    expect(bad.status).toBe(400);
    const body = await bad.json();
    expect(body.error).toMatchObject({ code: 'INVALID_INPUT', fields: ['email'] });
    expect(body.error.message).toMatch(/check what you entered/);
    const unknownPurpose = await browser.post('/auth/start', { email: EMAIL, purpose: 'admin' });
    expect(unknownPurpose.status).toBe(400);
    expect((await unknownPurpose.json()).error.fields).toEqual(['purpose']);
    const notJson = await browser.fetch(
      new Request('http://localhost:3000/auth/start', {
        method: 'POST',
        headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' },
        body: '{"email":',
      }),
    );
    expect(notJson.status).toBe(400);
    const huge = await browser.post('/auth/start', {
      email: EMAIL,
      purpose: 'login',
      pad: 'x'.repeat(10_000),
    });
    expect(huge.status).toBe(413);
    expect(outbox.messages).toHaveLength(0);
  });

  it('answers 429 with Retry-After when the mailbox had enough emails', async () => {
    const { browser } = setup();
    for (let i = 0; i < 3; i++)
      expect((await browser.post('/auth/start', { email: EMAIL, purpose: 'login' })).status).toBe(200);
    const r = await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    expect(r.status).toBe(429);
    const body = await r.json();
    expect(Number(r.headers.get('retry-after'))).toBe(body.error.retryAfterSeconds);
    expect(body.error.retryAfterSeconds).toBeGreaterThan(0);
    expect(body.error.code).toBe('RATE_LIMITED');
    expect(r.headers.getSetCookie()).toEqual([]); // the earlier challenge still stands
  });

  it('answers 503 with Retry-After when the sender or the store is down', async () => {
    const sendDown = setup({}, { sender: { send: () => Promise.reject(new Error('smtp down')) } });
    const r1 = await sendDown.browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    expect(r1.status).toBe(503);
    expect((await r1.json()).error.code).toBe('SEND_FAILED');
    expect(r1.headers.get('retry-after')).toBe('5');
    const broken = () => Promise.reject(new Error('down'));
    const storeDown = setup({}, { store: { step: broken } });
    const r2 = await storeDown.browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    expect(r2.status).toBe(503);
    expect((await r2.json()).error.code).toBe('STORE_UNAVAILABLE');
  });

  it('answers the same whether or not the address has an account: it is never looked up before it is proven', async () => {
    const seen: unknown[] = [];
    const { browser, outbox } = setup({
      beforeStart: (input) => {
        seen.push(Object.keys(input).sort());
        return undefined;
      },
    });
    const a = await browser.post('/auth/start', { email: 'known@example.com', purpose: 'login' });
    const b = await browser.post('/auth/start', { email: 'nobody@example.com', purpose: 'login' });
    expect([a.status, b.status]).toEqual([200, 200]);
    const strip = (x: Record<string, unknown>) => ({ ...x, email: null });
    expect(strip(await a.json())).toEqual(strip(await b.json()));
    expect(outbox.messages.map((m) => m.to)).toEqual(['known@example.com', 'nobody@example.com']);
    expect(seen).toEqual([
      ['purpose', 'request'],
      ['purpose', 'request'],
    ]); // the hook never sees the address
  });

  it('lets beforeStart refuse (email-change without a session) or bind a user id', async () => {
    const { browser, outbox, verified } = setup({
      beforeStart: ({ purpose, request }) => {
        if (purpose !== 'email-change') return undefined;
        const user = request.headers.get('x-test-user');
        return user ? { userId: user } : Response.json({ ok: false }, { status: 401 });
      },
    });
    expect(
      (await browser.post('/auth/start', { email: 'new@example.com', purpose: 'email-change' })).status,
    ).toBe(401);
    expect(outbox.messages).toHaveLength(0);
    const ok = await browser.post(
      '/auth/start',
      { email: 'new@example.com', purpose: 'email-change' },
      { headers: { 'x-test-user': 'u1' } },
    );
    expect(ok.status).toBe(200);
    const v = await browser.post('/auth/verify', {
      purpose: 'email-change',
      code: outbox.lastCode('new@example.com'),
    });
    expect(v.status).toBe(200);
    expect(verified).toEqual([{ email: 'new@example.com', purpose: 'email-change' }]);
  });
});

describe('onStarted', () => {
  it('runs after a start that sent its code, not after a refused one; a throwing hook does not lose the cookie', async () => {
    const seen: string[] = [];
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const { browser } = setup({
      onStarted: ({ purpose, email }) => {
        seen.push(`${purpose} ${email}`);
        throw new Error('notice failed');
      },
    });
    const r = await browser.post('/auth/start', { email: ` ${EMAIL} `, purpose: 'email-change' });
    expect(r.status).toBe(200);
    expect(browser.jar.has('mc-email-change')).toBe(true);
    expect(logged).toHaveBeenCalledOnce();
    logged.mockRestore();
    await browser.post('/auth/start', { email: 'nope', purpose: 'login' });
    expect(seen).toEqual([`email-change ${EMAIL}`]);
  });
});

describe('CSRF', () => {
  it('refuses a POST from another origin, or one a browser marks cross-site or same-site, before doing anything', async () => {
    const { browser, outbox } = setup();
    const attempts: Record<string, string>[] = [
      { origin: 'https://evil.example' },
      { origin: 'http://localhost:3001' },
      { origin: 'null', 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of attempts) {
      const r = await browser.post('/auth/start', { email: EMAIL, purpose: 'login' }, { headers });
      expect(r.status).toBe(403);
      expect((await r.json()).error).toMatchObject({ code: 'INVALID_INPUT', fields: ['origin'] });
    }
    const noOrigin = await browser.fetch(
      new Request('http://localhost:3000/auth/start', {
        method: 'POST',
        headers: { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' },
        body: JSON.stringify({ email: EMAIL, purpose: 'login' }),
      }),
    );
    expect(noOrigin.status).toBe(403);
    // An older browser (no Sec-Fetch-Site) posting a cross-site form from a sandboxed or no-referrer page.
    const opaque = await browser.fetch(
      new Request('http://localhost:3000/auth/start', {
        method: 'POST',
        headers: { origin: 'null', 'content-type': 'application/json' },
        body: JSON.stringify({ email: EMAIL, purpose: 'login' }),
      }),
    );
    expect(opaque.status).toBe(403);
    expect(outbox.messages).toHaveLength(0);
  });

  it('accepts an opaque origin only when the browser says the request is same-origin', async () => {
    const { browser, outbox } = setup();
    const r = await browser.post(
      '/auth/start',
      { email: EMAIL, purpose: 'login' },
      // A same-origin form on a page with Referrer-Policy: no-referrer sends Origin: null.
      { headers: { origin: 'null', 'sec-fetch-site': 'same-origin' } },
    );
    expect(r.status).toBe(200);
    expect(outbox.messages).toHaveLength(1);
  });

  it('accepts configured origins (behind a proxy that changes the host)', async () => {
    const { handlers } = setup({ allowedOrigins: ['https://app.example'] });
    const browser = new Browser(handlers.fetch, 'http://internal:8080');
    const r = await browser.post(
      '/auth/start',
      { email: EMAIL, purpose: 'login' },
      { headers: { origin: 'https://app.example' } },
    );
    expect(r.status).toBe(200);
    const own = await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    expect(own.status).toBe(403);
  });

  it('refuses GET on state-changing routes', async () => {
    const { browser } = setup();
    const r = await browser.get('/auth/verify?purpose=login&code=123456');
    expect(r.status).toBe(405);
    expect(r.headers.get('allow')).toBe('POST');
  });
});

describe('verify', () => {
  it('wrong code: 401, attempts remaining and a message for people, cookie kept; right code: onVerified, cookie cleared; again: 403', async () => {
    const { browser, outbox, verified } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const code = outbox.lastCode(EMAIL);
    const bad = await browser.post('/auth/verify', { purpose: 'login', code: wrong(code) });
    expect(bad.status).toBe(401);
    const body = await bad.json();
    expect(body.ok).toBe(false);
    expect(body.error).toMatchObject({ code: 'INVALID_CODE', attemptsRemaining: 4 });
    expect(body.error.message).toMatch(/not right/);
    expect(body.attemptsRemaining).toBe(4);
    for (const f of UI_FIELDS) expect(body).toHaveProperty(f);
    expect(bad.headers.getSetCookie()).toEqual([]);
    expect(browser.jar.has('mc-login')).toBe(true);

    // No code at all: 400, nothing spent, and the challenge's state for the UI to redraw from.
    const none = await browser.post('/auth/verify', { purpose: 'login' });
    expect(none.status).toBe(400);
    expect(await none.json()).toMatchObject({
      ok: false,
      error: { code: 'INVALID_INPUT', fields: ['code'] },
      status: 'pending',
      attemptsRemaining: 4,
      email: EMAIL,
    });
    expect(browser.jar.has('mc-login')).toBe(true);

    const good = await browser.post('/auth/verify', { purpose: 'login', code });
    expect(good.status).toBe(200);
    expect(await good.json()).toEqual({ ok: true, signedInAs: EMAIL });
    expect(verified).toEqual([{ email: EMAIL, purpose: 'login' }]);
    expect(browser.jar.has('mc-login')).toBe(false);
  });

  it('a spent code cannot be reused, even with the cookie kept', async () => {
    const { browser, outbox } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const kept = browser.jar.get('mc-login')!;
    const code = outbox.lastCode(EMAIL);
    expect((await browser.post('/auth/verify', { purpose: 'login', code })).status).toBe(200);
    browser.jar.set('mc-login', kept);
    const again = await browser.post('/auth/verify', { purpose: 'login', code });
    expect(again.status).toBe(403);
    expect((await again.json()).error.code).toBe('INVALID_CHALLENGE');
    expect(browser.jar.has('mc-login')).toBe(false); // terminal: cleared
  });

  it('without a challenge in this browser: 403 INVALID_CHALLENGE', async () => {
    const { browser } = setup();
    const r = await browser.post('/auth/verify', { purpose: 'login', code: '123456' });
    expect(r.status).toBe(403);
    expect((await r.json()).error.code).toBe('INVALID_CHALLENGE');
  });

  it('the fifth wrong code locks the challenge: 403 ATTEMPTS_EXCEEDED, cookie cleared, the right code no longer works', async () => {
    const { browser, outbox } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const code = outbox.lastCode(EMAIL);
    for (let i = 0; i < 4; i++) {
      const r = await browser.post('/auth/verify', { purpose: 'login', code: wrong(code) });
      expect((await r.json()).attemptsRemaining).toBe(4 - i);
    }
    const kept = browser.jar.get('mc-login')!;
    const fifth = await browser.post('/auth/verify', { purpose: 'login', code: wrong(code) });
    expect(fifth.status).toBe(403);
    const answer = await fifth.json();
    expect(answer.error).toMatchObject({ code: 'ATTEMPTS_EXCEEDED', attemptsRemaining: 0 });
    expect(answer.error.message).toMatch(/too many/i);
    expect(answer.status).toBe('locked');
    expect(browser.jar.has('mc-login')).toBe(false);
    browser.jar.set('mc-login', kept);
    const right = await browser.post('/auth/verify', { purpose: 'login', code });
    expect(right.status).toBe(403);
    expect((await right.json()).error.code).toBe('ATTEMPTS_EXCEEDED');
  });

  it('an expired code answers 403 CHALLENGE_EXPIRED and keeps the cookie so resend works', async () => {
    const { browser, outbox, clock } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    clock.advance(11 * 60_000);
    const r = await browser.post('/auth/verify', { purpose: 'login', code: outbox.lastCode(EMAIL) });
    expect(r.status).toBe(403);
    expect((await r.json()).error.code).toBe('CHALLENGE_EXPIRED');
    expect(browser.jar.has('mc-login')).toBe(true);
    const again = await browser.post('/auth/resend', { purpose: 'login' });
    expect(again.status).toBe(200);
    expect(
      (await browser.post('/auth/verify', { purpose: 'login', code: outbox.lastCode(EMAIL) })).status,
    ).toBe(200);
  });

  it('keeps two purposes apart: a signup in one tab and a login in another', async () => {
    const { browser, outbox, verified } = setup();
    await browser.post('/auth/start', { email: 'a@example.com', purpose: 'signup' });
    await browser.post('/auth/start', { email: 'b@example.com', purpose: 'login' });
    expect([...browser.jar.keys()].sort()).toEqual(['mc-login', 'mc-signup']);
    const login = await browser.post('/auth/verify', {
      purpose: 'login',
      code: outbox.lastCode('b@example.com'),
    });
    expect(login.status).toBe(200);
    const signup = await browser.post('/auth/verify', {
      purpose: 'signup',
      code: outbox.lastCode('a@example.com'),
    });
    expect(signup.status).toBe(200);
    expect(verified).toEqual([
      { email: 'b@example.com', purpose: 'login' },
      { email: 'a@example.com', purpose: 'signup' },
    ]);
  });

  it('a host response that is immutable still gets the cookie cleared', async () => {
    const { browser, outbox } = setup({
      onVerified: () => Response.redirect('http://localhost:3000/home', 303),
    });
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const r = await browser.post('/auth/verify', { purpose: 'login', code: outbox.lastCode(EMAIL) });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe('http://localhost:3000/home');
    expect(browser.jar.has('mc-login')).toBe(false);
  });
});

describe('resend', () => {
  it('sends a new code; the old one answers CHALLENGE_SUPERSEDED', async () => {
    const { browser, outbox, clock } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const first = outbox.lastCode(EMAIL);
    clock.advance(61_000);
    const r = await browser.post('/auth/resend', { purpose: 'login' });
    expect(r.status).toBe(200);
    const body = await r.json();
    for (const f of UI_FIELDS) expect(body).toHaveProperty(f);
    expect(outbox.messages).toHaveLength(2);
    const second = outbox.lastCode(EMAIL);
    // The first email's code is refused without costing a try, and the challenge stays open.
    if (first !== second) {
      const old = await browser.post('/auth/verify', { purpose: 'login', code: first });
      expect(old.status).toBe(403);
      const answer = await old.json();
      expect(answer.error.code).toBe('CHALLENGE_SUPERSEDED');
      expect(answer.error.message).toMatch(/newer code/i);
      expect(answer).toMatchObject({ status: 'pending', attemptsRemaining: 5 });
      expect(browser.jar.has('mc-login')).toBe(true);
    }
    expect((await browser.post('/auth/verify', { purpose: 'login', code: second })).status).toBe(200);
  });
});

describe('one-click link', () => {
  const linkOf = (html: string) =>
    new URL(/href="([^"]+\/auth\/link[^"]+)"/.exec(html)![1]!.replaceAll('&amp;', '&'));

  it('GET shows a confirm page and spends nothing; only the POST from it verifies', async () => {
    const { browser, outbox, verified } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const url = linkOf(outbox.last(EMAIL)!.html);
    url.searchParams.set('p', 'login');
    const page = await browser.get(url.pathname + url.search);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(page.headers.get('referrer-policy')).toBe('same-origin');
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/auth/link">');
    expect(html).toContain('Sign in');
    await browser.get(url.pathname + url.search); // a scanner fetching it twice changes nothing
    // A path that would make a scheme-relative action gets the same page, posting to this origin.
    const odd = await (await browser.get(`//evil.example${url.pathname}${url.search}`)).text();
    expect(odd).toContain('<form method="post" action="/evil.example/auth/link">');
    expect(verified).toEqual([]);
    const fields = Object.fromEntries(
      [...html.matchAll(/name="(\w)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    const r = await browser.post('/auth/link', fields, { form: true });
    expect(r.status).toBe(200);
    expect(verified).toEqual([{ email: EMAIL, purpose: 'login' }]);
    expect(browser.jar.has('mc-login')).toBe(false);
  });

  it('a link without the purpose finds it from the cookie that holds the challenge', async () => {
    const { browser, outbox, verified } = setup();
    await browser.post('/auth/start', { email: 'a@example.com', purpose: 'signup' });
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const url = linkOf(outbox.last(EMAIL)!.html);
    expect(url.searchParams.has('p')).toBe(false);
    const html = await (await browser.get(url.pathname + url.search)).text();
    expect(html).toContain('value="login"');
    const fields = Object.fromEntries(
      [...html.matchAll(/name="(\w)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]),
    );
    expect((await browser.post('/auth/link', fields, { form: true })).status).toBe(200);
    expect(verified).toEqual([{ email: EMAIL, purpose: 'login' }]);
    expect(browser.jar.has('mc-signup')).toBe(true);
  });

  it('in another browser it says to enter the code where they started, and spends nothing', async () => {
    const { browser, outbox, handlers, verified } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const code = outbox.lastCode(EMAIL);
    const url = linkOf(outbox.last(EMAIL)!.html);
    url.searchParams.set('p', 'login');
    const other = new Browser(handlers.fetch);
    const page = await other.get(url.pathname + url.search);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('only works in the browser where you asked for it');
    expect(html).toContain(code);
    const post = await other.post(
      '/auth/link',
      { p: 'login', c: url.searchParams.get('c')!, k: code },
      { form: true },
    );
    expect(post.status).toBe(200);
    expect(await post.text()).toContain('Continue where you started');
    expect(verified).toEqual([]);
    expect((await browser.post('/auth/verify', { purpose: 'login', code })).status).toBe(200);
  });

  it('a crafted link cannot put its own words on the page: only a code the flow could send is shown', async () => {
    const { handlers } = setup();
    const other = new Browser(handlers.fetch);
    for (const k of ['CALL +1-555-0100 NOW', '12345', '1234567', '12345a', '１２３４５６']) {
      const page = await other.get(`/auth/link?p=login&c=${'A'.repeat(22)}&k=${encodeURIComponent(k)}`);
      expect(page.status).toBe(400);
      expect(await page.text()).not.toContain(k);
    }
  });

  it('tells onVerified how the code arrived: typed (code) or through the link page (link)', async () => {
    const vias: string[] = [];
    const { browser, outbox } = setup({
      onVerified: (_c, _r, { via }) => {
        vias.push(via);
        return new Response(null, { status: 204 });
      },
    });
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    await browser.post('/auth/verify', { purpose: 'login', code: outbox.lastCode(EMAIL) });
    await browser.post('/auth/start', { email: EMAIL, purpose: 'signup' });
    const url = linkOf(outbox.last(EMAIL)!.html);
    const c = url.searchParams.get('c')!;
    const k = url.searchParams.get('k')!;
    expect((await browser.post('/auth/link', { p: 'signup', c, k }, { form: true })).status).toBe(204);
    expect(vias).toEqual(['code', 'link']);
  });

  it('refuses a cross-site POST to the link', async () => {
    const { browser, outbox, verified } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const url = linkOf(outbox.last(EMAIL)!.html);
    const r = await browser.post(
      '/auth/link',
      { p: 'login', c: url.searchParams.get('c')!, k: url.searchParams.get('k')! },
      { form: true, headers: { origin: 'https://evil.example' } },
    );
    expect(r.status).toBe(403);
    expect(verified).toEqual([]);
  });

  it('a wrong code through the link answers an HTML page with the message', async () => {
    const { browser, outbox } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const url = linkOf(outbox.last(EMAIL)!.html);
    const r = await browser.post(
      '/auth/link',
      { p: 'login', c: url.searchParams.get('c')!, k: wrong(url.searchParams.get('k')!) },
      { form: true },
    );
    expect(r.status).toBe(401);
    expect(r.headers.get('content-type')).toContain('text/html');
    expect(await r.text()).toContain('data-code="INVALID_CODE"');
  });
});

describe('options', () => {
  it('refuses a configuration without purposes or onVerified', () => {
    const flow = createMailboxFlow({ keys: [generateKey()], appName: 'A', sender: createTestOutbox() });
    const onVerified = () => new Response();
    expect(() => createMailboxHandlers({ flow, purposes: [], onVerified })).toThrow(/purposes/);
    expect(() => createMailboxHandlers({ flow, purposes: ['Login!'], onVerified })).toThrow(/purposes/);
    // @ts-expect-error onVerified is required
    expect(() => createMailboxHandlers({ flow, purposes: ['login'] })).toThrow(/onVerified/);
  });

  it('refuses a bad cookie prefix or an allowed origin that is not an origin', () => {
    const flow = createMailboxFlow({ keys: [generateKey()], appName: 'A', sender: createTestOutbox() });
    const onVerified = () => new Response();
    const fieldsOf = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        return (e as { fields?: readonly string[] }).fields;
      }
      return undefined;
    };
    const base = { flow, purposes: ['login'], onVerified };
    expect(fieldsOf(() => createMailboxHandlers({ ...base, cookie: { prefix: 'a b' } }))).toEqual([
      'cookie.prefix',
    ]);
    expect(
      fieldsOf(() => createMailboxHandlers({ ...base, allowedOrigins: ['https://app.example/'] })),
    ).toEqual(['allowedOrigins.0']);
    expect(
      fieldsOf(() => createMailboxHandlers({ ...base, allowedOrigins: ['https://app.example'] })),
    ).toBeUndefined();
  });

  it('ignores an Accept-Language header longer than any real one instead of refusing the start', async () => {
    const { browser } = setup();
    const r = await browser.post(
      '/auth/start',
      { email: EMAIL, purpose: 'login' },
      { headers: { 'accept-language': 'en;q=0.9,'.repeat(600) } },
    );
    expect(r.status).toBe(200);
  });

  it('answers 404 for an unknown route and 500 (nothing internal said) when a hook throws', async () => {
    const { browser, outbox } = setup({
      onVerified: () => {
        throw new Error('db exploded at 10.0.0.3');
      },
    });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    expect((await browser.get('/auth/nope')).status).toBe(404);
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const r = await browser.post('/auth/verify', { purpose: 'login', code: outbox.lastCode(EMAIL) });
    expect(r.status).toBe(500);
    const body = await r.text();
    expect(body).not.toContain('10.0.0.3');
    expect(JSON.parse(body).error).toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/our side/),
    });
    expect(logged).toHaveBeenCalledOnce(); // the operator sees it in the logs
    // Through the link page's form: an HTML page, not JSON.
    await browser.post('/auth/start', { email: 'b@example.com', purpose: 'login' });
    const url = new URL(
      /href="([^"]+\/auth\/link[^"]+)"/
        .exec(outbox.last('b@example.com')!.html)![1]!
        .replaceAll('&amp;', '&'),
    );
    const viaLink = await browser.post(
      '/auth/link',
      { p: 'login', c: url.searchParams.get('c')!, k: url.searchParams.get('k')! },
      { form: true },
    );
    expect(viaLink.status).toBe(500);
    expect(viaLink.headers.get('content-type')).toContain('text/html');
    expect(await viaLink.text()).not.toContain('10.0.0.3');
    logged.mockRestore();
  });
});
