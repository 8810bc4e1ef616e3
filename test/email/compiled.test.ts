import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, OUTPUT } from '../../scripts/build-templates.js';
import { LAYOUTS, STRINGS } from '../../src/email/_compiled.js';
import { checkLocaleStrings } from '../../src/email/_strings.js';
import {
  checkSlotContexts,
  compileMjml,
  TemplateCompileError,
  tidyText,
} from '../../src/templates/_compile.js';
import { LOCALES, ROOT } from './_helpers.js';

describe('compiled layouts (src/email/_compiled.ts)', () => {
  it('is up to date with templates/ (run `npm run build:templates` when this fails)', async () => {
    // generate() runs mjml with validationLevel 'strict': any MJML error throws here.
    const { source } = await generate();
    expect(readFileSync(OUTPUT, 'utf8')).toBe(source);
  });

  it('refuses a code string that a kind both inherits from common and sets, or that it lacks', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mc-templates-'));
    try {
      cpSync(join(ROOT, 'templates'), join(root, 'templates'), { recursive: true });
      const file = join(root, 'templates/locales/en.json');
      const en = JSON.parse(readFileSync(file, 'utf8'));
      en.common.button = 'Confirm my email';
      delete en.default.intro;
      writeFileSync(file, JSON.stringify(en));
      const error = await generate(root).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain('en: button is in both common and login');
      expect((error as Error).message).toContain('en: default.intro is missing');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('holds one HTML and one text layout per kind, not one per locale', () => {
    expect(Object.keys(LAYOUTS).sort()).toEqual(['code', 'notice']);
    expect(Object.keys(STRINGS).sort()).toEqual([...LOCALES].sort());
    // Limits per layout and per locale, so adding a locale never trips a cap meant for something else.
    for (const layout of Object.values(LAYOUTS)) expect(Buffer.byteLength(layout.html)).toBeLessThan(20_000);
    for (const locale of LOCALES)
      expect(Buffer.byteLength(JSON.stringify(STRINGS[locale]))).toBeLessThan(8_000);
  });

  it('puts slots only where escaping protects them', () => {
    for (const layout of Object.values(LAYOUTS)) expect(checkSlotContexts(layout.html)).toEqual([]);
  });

  it('every locale file has the same keys and placeholders as English', () => {
    const en = JSON.parse(readFileSync(join(ROOT, 'templates/locales/en.json'), 'utf8'));
    for (const locale of LOCALES) {
      const strings = JSON.parse(readFileSync(join(ROOT, 'templates/locales', `${locale}.json`), 'utf8'));
      expect(checkLocaleStrings(locale, strings, en)).toEqual([]);
    }
  });

  it('the locale check catches a dropped placeholder, markup and a missing key', () => {
    const en = JSON.parse(readFileSync(join(ROOT, 'templates/locales/en.json'), 'utf8'));
    const broken = structuredClone(en);
    broken.common.expiry = 'This code expires soon.';
    broken.login.intro = 'Enter <b>this</b> code.';
    delete broken.notice.ifYou;
    broken.extra = 'x';
    expect(checkLocaleStrings('xx', broken, en)).toEqual([
      'xx: common.expiry uses {} but must use {minutes}',
      'xx: login.intro contains markup or control characters',
      'xx: login.intro uses {} but must use {appName}',
      'xx: notice.ifYou must be a string',
      'xx: extra is unknown',
    ]);
  });
});

describe('slot placement check', () => {
  it.each([
    ['<style>.a{color:{{appName}}}</style>', /inside a <style> block/],
    ['<a href={{linkUrl}}>x</a>', /must be quoted/],
    ['<div onclick="{{appName}}">x</div>', /event handler onclick/],
    ['<div style="color:{{appName}}">x</div>', /style attribute/],
    ['<a href="{{appName}}">x</a>', /must start with a fixed scheme/],
    ['<img src="{{email}}">', /must start with a fixed scheme/],
    ['<div {{appName}}>x</div>', /not in a quoted attribute/],
  ])('%s is refused', (html, problem) => {
    expect(checkSlotContexts(html).join('\n')).toMatch(problem);
  });

  it.each([
    '<a href="{{linkUrl}}">{{button}}</a>',
    '<a href="mailto:{{email}}">{{email}}</a>',
    '<img src="{{logoUrl}}" alt="{{appName}}">',
    '<td bgcolor="{{brandColor}}" style="background:{{brandColor}};color:{{brandTextColor}}">{{code}}</td>',
  ])('%s is accepted', (html) => {
    expect(checkSlotContexts(html)).toEqual([]);
  });
});

describe('compileMjml', () => {
  it('reports MJML validation errors (strict)', async () => {
    const error = await compileMjml('<mjml><mj-body><mj-text>{{code}}</mj-text></mj-body></mjml>').catch(
      (e) => e,
    );
    expect(error).toBeInstanceOf(TemplateCompileError);
    expect(error.message).toMatch(/mj-text/);
  });

  it('turns a layout into a tidy text part with the same slots', async () => {
    const { html, text } = await compileMjml(`<mjml><mj-body><mj-section><mj-column>
      <mj-text><h1>{{heading}}</h1></mj-text>
      <mj-text>{{intro}}</mj-text>
      <mj-raw>{{#linkUrl}}</mj-raw>
      <mj-button href="{{linkUrl}}" background-color="{{brandColor}}">{{button}}</mj-button>
      <mj-raw>{{/linkUrl}}</mj-raw>
      <mj-text>{{code}}</mj-text>
    </mj-column></mj-section></mj-body></mjml>`);
    expect(html).toContain('background:{{brandColor}}');
    expect(text).toBe('{{heading}}\n\n{{intro}}\n\n{{#linkUrl}}{{linkUrl}}\n\n{{/linkUrl}}{{code}}\n');
  });

  it('tidyText glues line-leading section tags to what follows and collapses blank lines', () => {
    expect(tidyText('a  \n\n\n{{#x}}\n\nb\n\n{{/x}}\n\n\nc\n')).toBe('a\n\n{{#x}}b\n\n{{/x}}c\n');
    expect(tidyText('a{{#x}}\nb{{/x}}\n')).toBe('a{{#x}}\nb{{/x}}\n');
  });
});
