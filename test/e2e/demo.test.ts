// The demo app (npm run demo) in a real, headless Chromium: what a person does, page by page.
// Screenshots of every page go to test/e2e/screenshots (git-ignored).
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../src/cli.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(import.meta.dirname, 'screenshots');

if (!available) {
  if (process.env.CI === 'true')
    throw new Error(`chromium not found at ${CHROMIUM}; CI must run the browser test`);
  console.log('SKIPPED: chromium not found; install with: apt-get install -y chromium');
}

interface Mail {
  to: string;
  subject: string;
  text: string;
  html: string;
  sentAt: string;
}

describe.skipIf(!available)('the demo in Chromium', () => {
  let server: ChildProcess;
  let base: string;
  let browser: Browser;
  let keysDir: string;

  beforeAll(async () => {
    keysDir = mkdtempSync(join(tmpdir(), 'mc-demo-'));
    mkdirSync(SHOTS, { recursive: true });
    // The real `npm run demo` entry, on a free port, with its development key in a temporary file.
    server = spawn(
      process.execPath,
      [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'examples/demo/server.ts'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          PORT: '0',
          DEMO_KEYS_FILE: join(keysDir, 'keys.env'),
          NODE_ENV: 'development',
          RESEND_COOLDOWN_SECONDS: '3', // visible, and short enough to wait out
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    base = await new Promise<string>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        const m = /demo on (http:\/\/localhost:\d+)/.exec(output);
        if (m) resolve(m[1]!);
      };
      server.stdout!.on('data', onData);
      server.stderr!.on('data', onData);
      server.once('exit', (code) => reject(new Error(`demo exited (${code}):\n${output}`)));
      setTimeout(() => reject(new Error(`demo did not start:\n${output}`)), 30_000);
    });
    expect(output).toContain('WARNING: generated a development key');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    server?.kill();
    rmSync(keysDir, { recursive: true, force: true });
  });

  const outbox = async (): Promise<Mail[]> => (await fetch(`${base}/dev/outbox.json`)).json();
  const lastTo = async (to: string) => {
    const mails = (await outbox()).filter((m) => m.to === to);
    expect(mails.length).toBeGreaterThan(0);
    return mails.at(-1)!;
  };
  const codeOf = (mail: Mail) => /^\s*([0-9]{6})\s*$/m.exec(mail.text)![1]!;
  const linkOf = (mail: Mail) => /(http:\/\/\S+\/auth\/link\?\S+)/.exec(mail.text)![1]!;
  const wrong = (code: string) => (code === '000000' ? '111111' : '000000');
  const shot = (page: Page, name: string) =>
    page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  const context = () => browser.newContext({ baseURL: base, viewport: { width: 800, height: 900 } });

  /** Email step → code step. */
  async function startWith(page: Page, email: string) {
    await page.locator('#email-step').waitFor();
    await page.fill('#email', email);
    await page.click('#email-step button[type=submit]');
    await page.locator('#code-step').waitFor();
  }
  async function enterCode(page: Page, code: string) {
    await page.fill('#code', code);
    await page.click('#code-step button[type=submit]');
  }
  const message = (page: Page) => page.locator('#message');

  let signedUp: BrowserContext;

  it('sign up: wrong code then right code; the spent code cannot be reused', async () => {
    signedUp = await context();
    const page = await signedUp.newPage();
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.click('text=Create an account');
    await startWith(page, 'ada@example.com');
    const input = page.locator('#code');
    expect(await input.getAttribute('autocomplete')).toBe('one-time-code');
    expect(await input.getAttribute('inputmode')).toBe('numeric');
    await expect.poll(() => page.textContent('#sent-to')).toContain('ada@example.com');
    await shot(page, '01-code-step');

    const code = codeOf(await lastTo('ada@example.com'));
    await enterCode(page, wrong(code));
    await expect.poll(() => message(page).getAttribute('data-code')).toBe('INVALID_CODE');
    expect(await message(page).textContent()).toMatch(/not right/);
    expect(await page.textContent('#attempts')).toBe('4 tries left.');
    await shot(page, '02-wrong-code');

    const challengeCookies = await signedUp.cookies();
    await enterCode(page, code);
    await page.waitForURL(`${base}/`);
    expect(await page.textContent('#signed-in-email')).toBe('ada@example.com');
    await shot(page, '03-signed-in');

    // Replaying the challenge cookie with the same code: refused, the code is spent.
    await signedUp.addCookies(challengeCookies.filter((c) => c.name === 'mc-signup'));
    const replay = await page.evaluate(async (c) => {
      const r = await fetch('/auth/verify', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ purpose: 'signup', code: c }),
      });
      return { status: r.status, body: await r.json() };
    }, code);
    expect(replay.status).toBe(403);
    expect(replay.body.error.code).toBe('INVALID_CHALLENGE');
  });

  it('change email: a code to the new address, a notice to the old one', async () => {
    const page = await signedUp.newPage();
    await page.goto('/');
    await page.click('#change-email');
    await startWith(page, 'ada.new@example.com');
    await shot(page, '04-change-email');
    const notice = await lastTo('ada@example.com');
    expect(notice.text).toContain('ada.new@example.com');
    await enterCode(page, codeOf(await lastTo('ada.new@example.com')));
    await page.waitForURL(`${base}/`);
    expect(await page.textContent('#signed-in-email')).toBe('ada.new@example.com');
    expect(await page.textContent('#notice')).toContain('We told your old address');
    await shot(page, '05-email-changed');

    await page.click('#sign-out');
    await page.waitForURL(`${base}/login`);
    await page.goto('/');
    expect(new URL(page.url()).pathname).toBe('/login');
  });

  it('resend: a visible cooldown, then a new code; the first code is refused, the newest works', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto('/login');
    await startWith(page, 'grace@example.com');
    const first = codeOf(await lastTo('grace@example.com'));
    const resend = page.locator('#resend');
    expect(await resend.isDisabled()).toBe(true);
    expect(await page.textContent('#cooldown')).toMatch(/You can ask for a new code in [1-3] s\./);
    await shot(page, '06-resend-cooldown');
    await expect.poll(() => resend.isEnabled(), { timeout: 10_000, interval: 250 }).toBe(true);
    expect(await page.textContent('#cooldown')).toBe('');
    const before = (await outbox()).length;
    await resend.click();
    await expect.poll(async () => (await outbox()).length).toBe(before + 1);
    await expect.poll(() => message(page).textContent()).toContain('We sent a new code');
    await shot(page, '07-resent');
    const second = codeOf(await lastTo('grace@example.com'));
    if (second !== first) {
      await enterCode(page, first);
      await expect.poll(() => message(page).getAttribute('data-code')).toBe('CHALLENGE_SUPERSEDED');
      expect(await message(page).textContent()).toMatch(/newer code/i);
      expect(await page.locator('#code-step').isVisible()).toBe(true);
    }
    await enterCode(page, second);
    await page.waitForURL(`${base}/`);
    expect(await page.textContent('#signed-in-email')).toBe('grace@example.com');
    await ctx.close();
  }, 120_000);

  it('the link opens a confirm page; only its button signs in; another device is told to use the code', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto('/login');
    await startWith(page, 'linus@example.com');
    const mail = await lastTo('linus@example.com');
    const link = linkOf(mail);

    const elsewhere = await context();
    const other = await elsewhere.newPage();
    await other.goto(link);
    expect(await other.textContent('h1')).toBe('Continue where you started');
    expect(await other.textContent('#code')).toBe(codeOf(mail));
    await shot(other, '08-link-other-device');
    await elsewhere.close();

    const tab = await ctx.newPage();
    await tab.goto(link);
    expect(await tab.textContent('h1')).toBe('Sign in');
    await shot(tab, '09-link-confirm');
    await tab.goto(link); // opening it again (a scanner, a reload) spends nothing
    await tab.click('#confirm');
    await tab.waitForURL(`${base}/`);
    expect(await tab.textContent('#signed-in-email')).toBe('linus@example.com');

    await tab.goto(link); // used: no cookie any more, nothing to confirm
    expect(await tab.locator('#confirm').count()).toBe(0);
    await ctx.close();
  });

  it('two tabs with different purposes do not disturb each other', async () => {
    const ctx = await context();
    const signup = await ctx.newPage();
    const login = await ctx.newPage();
    await signup.goto('/signup');
    await login.goto('/login');
    await startWith(signup, 'mia@example.com');
    await startWith(login, 'noa@example.com');
    await login.reload(); // the login tab picks up its own step after a reload
    await login.locator('#code-step').waitFor();
    await enterCode(signup, codeOf(await lastTo('mia@example.com')));
    await signup.waitForURL(`${base}/`);
    expect(await signup.textContent('#signed-in-email')).toBe('mia@example.com');
    await enterCode(login, codeOf(await lastTo('noa@example.com')));
    await login.waitForURL(`${base}/`);
    expect(await login.textContent('#signed-in-email')).toBe('noa@example.com');
    await ctx.close();
  });

  it('says clearly when a code is locked or too many emails were sent', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto('/login');
    await startWith(page, 'lock@example.com');
    const code = codeOf(await lastTo('lock@example.com'));
    for (let i = 0; i < 4; i++) {
      await enterCode(page, wrong(code));
      await expect
        .poll(() => page.textContent('#attempts'))
        .toBe(`${4 - i} ${4 - i === 1 ? 'try' : 'tries'} left.`);
    }
    await enterCode(page, wrong(code)); // the fifth wrong code locks it
    await expect.poll(() => message(page).getAttribute('data-code')).toBe('ATTEMPTS_EXCEEDED');
    expect(await page.locator('#email-step').isVisible()).toBe(true);
    await shot(page, '10-locked');

    for (let i = 0; i < 3; i++) {
      await startWith(page, 'busy@example.com');
      await page.click('#cancel');
    }
    await page.fill('#email', 'busy@example.com');
    await page.click('#email-step button[type=submit]');
    await expect.poll(() => message(page).getAttribute('data-code')).toBe('RATE_LIMITED');
    await shot(page, '11-rate-limited');
    await ctx.close();
  });

  it('/dev/outbox shows each email rendered', async () => {
    const ctx = await context();
    const page = await ctx.newPage();
    await page.goto('/login');
    await startWith(page, 'outbox@example.com');
    const code = codeOf(await lastTo('outbox@example.com'));
    await page.goto('/dev/outbox');
    expect(await page.locator('article.mail').count()).toBe((await outbox()).length);
    // Newest first: the first frame holds that email, rendered as the person sees it, code and all.
    const frame = page.frameLocator('article.mail iframe').first();
    await expect.poll(() => frame.locator('[data-mc-code]').textContent()).toContain(code);
    await page.screenshot({ path: join(SHOTS, '12-outbox.png') });
    await ctx.close();
  });
});
