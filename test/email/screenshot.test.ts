// Renders the login email in a real Chromium, light and dark, and checks a person can see the code.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS } from '../../src/cli.js';
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
});
