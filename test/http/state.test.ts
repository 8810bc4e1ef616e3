// GET …/state (flow.inspect) and POST …/cancel (flow.cancel).
import { describe, expect, it } from 'vitest';
import { setup, wrong } from './_client.js';

const EMAIL = 'ada@example.com';

describe('state', () => {
  it('without a challenge in this browser: status none, every UI field null', async () => {
    const { browser } = setup();
    const r = await browser.get('/auth/state?purpose=login');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({
      ok: true,
      purpose: 'login',
      status: 'none',
      email: null,
      expiresAt: null,
      resendAvailableAt: null,
      attemptsRemaining: null,
      codeLength: null,
      codeAlphabet: null,
    });
  });

  it('refuses an unknown purpose and a POST', async () => {
    const { browser } = setup();
    expect((await browser.get('/auth/state?purpose=admin')).status).toBe(400);
    expect((await browser.post('/auth/state', { purpose: 'login' })).status).toBe(405);
  });

  it('after a reload: the current step, with attempts left', async () => {
    const { browser, outbox, clock } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    await browser.post('/auth/verify', { purpose: 'login', code: wrong(outbox.lastCode(EMAIL)) });
    const r = await browser.get('/auth/state?purpose=login');
    expect(await r.json()).toMatchObject({
      ok: true,
      purpose: 'login',
      status: 'pending',
      email: EMAIL,
      expiresAt: clock.now() + 600_000,
      attemptsRemaining: 4,
      codeLength: 6,
      codeAlphabet: 'digits',
    });
    clock.advance(11 * 60_000);
    const expired = await browser.get('/auth/state?purpose=login');
    expect((await expired.json()).status).toBe('expired');
    expect(browser.jar.has('mc-login')).toBe(true); // resend still possible
  });

  it('a used challenge reads as used, and the cookie is dropped', async () => {
    const { browser, outbox } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const kept = browser.jar.get('mc-login')!;
    await browser.post('/auth/verify', { purpose: 'login', code: outbox.lastCode(EMAIL) });
    browser.jar.set('mc-login', kept);
    expect((await (await browser.get('/auth/state?purpose=login')).json()).status).toBe('used');
    expect(browser.jar.has('mc-login')).toBe(false);
  });

  it('the link page of a used challenge says so instead of offering the button', async () => {
    const { browser, outbox } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const kept = browser.jar.get('mc-login')!;
    const mail = outbox.last(EMAIL)!;
    const link = new URL(/href="([^"]+\/auth\/link[^"]+)"/.exec(mail.html)![1]!.replaceAll('&amp;', '&'));
    await browser.post('/auth/verify', { purpose: 'login', code: outbox.lastCode(EMAIL) });
    browser.jar.set('mc-login', kept);
    const page = await browser.get(link.pathname + link.search);
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('data-code="INVALID_CHALLENGE"');
  });
});

describe('cancel', () => {
  it('clears the cookie', async () => {
    const { browser } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const r = await browser.post('/auth/cancel', { purpose: 'login' });
    expect(r.status).toBe(200);
    expect((await r.json()).status).toBe('none');
    expect(browser.jar.has('mc-login')).toBe(false);
  });

  it('ends the challenge: its code no longer verifies, even with the cookie replayed', async () => {
    const { browser, outbox } = setup();
    await browser.post('/auth/start', { email: EMAIL, purpose: 'login' });
    const kept = browser.jar.get('mc-login')!;
    await browser.post('/auth/cancel', { purpose: 'login' });
    browser.jar.set('mc-login', kept);
    const r = await browser.post('/auth/verify', { purpose: 'login', code: outbox.lastCode(EMAIL) });
    expect(r.status).toBe(403);
  });
});
