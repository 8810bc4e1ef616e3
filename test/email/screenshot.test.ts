// Renders the login email in a real Chromium, light and dark, and checks a person can see the code.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../src/cli.js';
import { renderEmailChangeNotice } from '../../src/index.js';
import { createWithMessage, ROOT } from './_helpers.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const available = existsSync(CHROMIUM);
const OUT = join(ROOT, '.preview');

if (!available) {
  if (process.env.CI === 'true')
    throw new Error(`chromium not found at ${CHROMIUM}; CI must run the screenshot test`);
  console.log('SKIPPED: chromium not found; install with: apt-get install -y chromium');
}

/** WCAG relative luminance of a computed `rgb(...)`/`rgba(...)` colour. */
function luminance(css: string): number {
  const [r, g, b] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
    const c = Number(v) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
const contrast = (a: string, b: string) => {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
};

describe.skipIf(!available)('the login email in Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    mkdirSync(OUT, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    for (const width of [680, 360]) {
      it(`shows the code, readable, in ${colorScheme} mode at ${width} px`, async () => {
        const { code, message } = createWithMessage({
          appName: 'Acme',
          link: { urlTemplate: 'https://acme.example/verify?c={challengeId}&k={code}' },
          supportText: 'Questions? Write to help@acme.example.',
        });
        const page = await browser.newPage({ colorScheme, viewport: { width, height: 900 } });
        try {
          await page.setContent(message.html, { waitUntil: 'load' });
          const box = page.locator('.code-box');
          await expect.poll(() => box.isVisible()).toBe(true);
          expect((await box.textContent())?.trim()).toBe(code);
          const rect = (await box.boundingBox())!;
          expect(rect.width).toBeGreaterThan(100);
          expect(rect.height).toBeGreaterThan(30);
          expect(rect.x + rect.width).toBeLessThanOrEqual(width); // no horizontal scrolling needed
          const seen = await page.evaluate(() => {
            const el = document.querySelector('.code-box')!;
            const r = el.getBoundingClientRect();
            const style = getComputedStyle(el);
            const top = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return {
              color: style.color,
              background: style.backgroundColor,
              fontSize: Number.parseFloat(style.fontSize),
              userSelect: style.userSelect || style.webkitUserSelect,
              onTop: top === el || el.contains(top),
              body: getComputedStyle(document.body).backgroundColor,
            };
          });
          expect(seen.onTop).toBe(true);
          expect(seen.color).not.toBe(seen.background);
          expect(contrast(seen.color, seen.background)).toBeGreaterThan(7);
          expect(seen.fontSize).toBeGreaterThanOrEqual(28);
          expect(seen.userSelect).toBe('all');
          if (colorScheme === 'dark') {
            expect(luminance(seen.body)).toBeLessThan(0.05);
            expect(luminance(seen.color)).toBeGreaterThan(0.8);
          } else {
            expect(luminance(seen.body)).toBeGreaterThan(0.8);
          }
          await page.screenshot({ path: join(OUT, `login.en.${colorScheme}.${width}.png`), fullPage: true });
        } finally {
          await page.close();
        }
      });
    }
  }

  it('mirrors Arabic and Hebrew: text starts at the right, the code and address stay left-to-right', async () => {
    for (const locale of ['ar', 'he']) {
      for (const [width, colorScheme] of [
        [375, 'light'],
        [680, 'dark'],
      ] as const) {
        const { message } = createWithMessage({
          appName: 'Acme',
          locale,
          link: { urlTemplate: 'https://acme.example/verify?c={challengeId}&k={code}' },
        });
        const page = await browser.newPage({ colorScheme, viewport: { width, height: 900 } });
        try {
          await page.setContent(message.html, { waitUntil: 'load' });
          const seen = await page.evaluate(() => {
            const h1 = document.querySelector('h1')!;
            const card = h1.closest('table')!.getBoundingClientRect();
            const range = document.createRange();
            range.selectNodeContents(h1);
            const text = range.getBoundingClientRect();
            const button = document.querySelector('.btn a')!.getBoundingClientRect();
            return {
              dir: getComputedStyle(h1).direction,
              // Distance of the heading's text from the card's right and left edges.
              right: card.right - text.right,
              left: text.left - card.left,
              buttonRight: card.right - button.right,
              buttonLeft: button.left - card.left,
              codeDir: getComputedStyle(document.querySelector('.code-box')!).direction,
            };
          });
          expect(seen.dir).toBe('rtl');
          expect(seen.right).toBeLessThan(seen.left);
          expect(seen.buttonRight).toBeLessThan(seen.buttonLeft);
          expect(seen.codeDir).toBe('ltr');
          await page.screenshot({
            path: join(OUT, `login.${locale}.${colorScheme}.${width}.png`),
            fullPage: true,
          });
        } finally {
          await page.close();
        }
      }
    }
  });

  it('keeps every code length on one line at 320 px, even when the client drops <style>', async () => {
    const page = await browser.newPage({ viewport: { width: 320, height: 900 } });
    try {
      for (const codeAlphabet of ['digits', 'base32'] as const) {
        for (let codeLength = 6; codeLength <= 10; codeLength++) {
          const { message, code } = createWithMessage({ appName: 'Acme' }, { codeLength, codeAlphabet });
          // Gmail's app and many webmails drop <style>: only inline styles count here.
          await page.setContent(message.html.replace(/<style[^>]*>[\s\S]*?<\/style>/g, ''), {
            waitUntil: 'load',
          });
          const seen = await page.evaluate(() => {
            const el = document.querySelector('.code-box') as HTMLElement;
            const range = document.createRange();
            range.selectNodeContents(el);
            return {
              lines: range.getClientRects().length,
              textWidth: range.getBoundingClientRect().width,
              boxWidth: el.clientWidth,
              right: el.getBoundingClientRect().right,
              scroll: document.documentElement.scrollWidth,
            };
          });
          expect(seen.lines, `${codeAlphabet} ${codeLength}: ${code}`).toBe(1);
          expect(seen.textWidth).toBeLessThanOrEqual(seen.boxWidth);
          expect(seen.right).toBeLessThanOrEqual(320);
          expect(seen.scroll).toBeLessThanOrEqual(320);
        }
      }
    } finally {
      await page.close();
    }
  });

  it('never breaks a heading at its hyphen on a phone', async () => {
    const page = await browser.newPage({ viewport: { width: 320, height: 900 } });
    try {
      for (const locale of ['de', 'fr', 'nl']) {
        const { message } = createWithMessage({ appName: 'Acme', locale }, { purpose: 'email-change' });
        await page.setContent(message.html, { waitUntil: 'load' });
        const lines = await page.evaluate(() => {
          const h1 = document.querySelector('h1')!;
          const text = h1.textContent ?? '';
          // A line ending right after a hyphen-like character is a hyphen break.
          const node = h1.firstChild!;
          const ends: string[] = [];
          const range = document.createRange();
          let lastTop = -1;
          for (let i = 0; i < text.length; i++) {
            range.setStart(node, i);
            range.setEnd(node, i + 1);
            const top = range.getBoundingClientRect().top;
            if (lastTop !== -1 && top > lastTop + 2) ends.push(text[i - 1] ?? '');
            lastTop = top;
          }
          return { text, ends };
        });
        expect(lines.text).toContain('\u2011'); // E‑Mail, e‑mail: a hyphen that never breaks
        for (const end of lines.ends) expect(end).not.toMatch(/[-\u2010\u2011]/);
      }
    } finally {
      await page.close();
    }
  });

  it('gives every piece of text 4.5:1 contrast against what is behind it, light and dark', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ colorScheme, viewport: { width: 680, height: 900 } });
      try {
        for (const purpose of ['login', 'notice']) {
          const { message } =
            purpose === 'notice'
              ? {
                  message: renderEmailChangeNotice({
                    appName: 'Acme',
                    email: 'a@example.com',
                    newEmail: 'b@example.com',
                    supportText: 'Help',
                    notice: { notMeUrl: 'https://a.example/x', supportUrl: 'mailto:h@a.example' },
                  }),
                }
              : createWithMessage({
                  appName: 'Acme',
                  supportText: 'Help',
                  footerLinks: [{ text: 'Privacy', href: 'https://a.example/p' }],
                  link: { urlTemplate: 'https://a.example/{code}' },
                });
          await page.setContent(message.html, { waitUntil: 'load' });
          const pairs = await page.evaluate(() => {
            const out: { text: string; color: string; background: string }[] = [];
            const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
            for (let n = walker.nextNode(); n; n = walker.nextNode()) {
              const el = n.parentElement!;
              if (!n.textContent?.trim() || el.closest('[style*="display:none"]')) continue;
              let bg = 'rgba(0, 0, 0, 0)';
              for (let e: Element | null = el; e; e = e.parentElement) {
                const c = getComputedStyle(e).backgroundColor;
                if (!/rgba\(0, 0, 0, 0\)|transparent/.test(c)) {
                  bg = c;
                  break;
                }
              }
              out.push({
                text: n.textContent.trim().slice(0, 30),
                color: getComputedStyle(el).color,
                background: bg,
              });
            }
            return out;
          });
          expect(pairs.length).toBeGreaterThan(8);
          for (const p of pairs) {
            expect(
              contrast(p.color, p.background),
              `${colorScheme} ${purpose} "${p.text}" ${p.color} on ${p.background}`,
            ).toBeGreaterThanOrEqual(4.5);
          }
        }
      } finally {
        await page.close();
      }
    }
  });
});
