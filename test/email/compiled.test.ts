import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generate, OUTPUT, OUTPUT_KINDS, OUTPUT_LOCALES } from '../../scripts/build-templates.js';
import { ENGLISH, LAYOUTS } from '../../src/email/_compiled.js';
import { LOCALE_STRINGS } from '../../src/email/_compiled-locales.js';
import { BUILT_IN_LOCALES, PURPOSE_KINDS } from '../../src/email/_kinds.js';
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
    const { kindsSource, source, localesSource } = await generate();
    expect(readFileSync(OUTPUT_KINDS, 'utf8')).toBe(kindsSource);
    expect(readFileSync(OUTPUT, 'utf8')).toBe(source);
    expect(readFileSync(OUTPUT_LOCALES, 'utf8')).toBe(localesSource);
  });

  it('derives the locale list from the files and the purpose kinds from en.json', () => {
    const files = readdirSync(join(ROOT, 'templates/locales')).map((f) => f.replace(/\.json$/, ''));
    expect([...BUILT_IN_LOCALES].sort()).toEqual(files.sort());
    expect(BUILT_IN_LOCALES.length).toBeGreaterThanOrEqual(20);
    // A purpose section is one with exactly the keys of `default`; the shared sections have others.
    const en = JSON.parse(readFileSync(join(ROOT, 'templates/locales/en.json'), 'utf8'));
    const keysOf = (v: unknown) => (v && typeof v === 'object' ? Object.keys(v).sort().join() : null);
    const sections = Object.keys(en).filter((k) => keysOf(en[k]) === keysOf(en.default));
    expect(PURPOSE_KINDS).toEqual(sections);
    expect(PURPOSE_KINDS).toEqual(expect.arrayContaining(['signup', 'login', 'email-change', 'default']));
    expect(Object.keys(LOCALE_STRINGS).sort()).toEqual(files.filter((f) => f !== 'en').sort());
  });

  it('adding a locale is one strings file and a rebuild; a purpose section is read or refused', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mc-templates-'));
    try {
      cpSync(join(ROOT, 'templates'), join(root, 'templates'), { recursive: true });
      const dir = join(root, 'templates/locales');
      // A throwaway locale: a copy of Swedish under another tag.
      writeFileSync(
        join(dir, 'sv-AX.json'),
        readFileSync(join(dir, 'sv.json'), 'utf8').replace('"aliases": []', '"aliases": ["sv-FI-x"]'),
      );
      const added = await generate(root);
      expect(added.locales).toContain('sv-AX');
      expect(added.localesSource).toContain('"sv-AX": {');
      expect(added.source).toContain('"sv-AX"');
      // A new purpose's wording in en.json becomes a purpose kind; one with the wrong keys fails the build.
      const en = JSON.parse(readFileSync(join(dir, 'en.json'), 'utf8'));
      en['password-reset'] = { ...en.default };
      writeFileSync(join(dir, 'en.json'), JSON.stringify(en));
      const error = await generate(root).catch((e: Error) => e);
      // Every other locale now lacks the section: the build names each missing string.
      expect((error as Error).message).toContain('de: password-reset is missing or not an object');
      en['password-reset'] = { subject: 'Reset' };
      writeFileSync(join(dir, 'en.json'), JSON.stringify(en));
      const wrong = await generate(root).catch((e: Error) => e);
      expect((wrong as Error).message).toContain(
        'en: the "password-reset" section must have exactly the keys of "default"',
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('refuses a strings file with English left in it, or a section no code reads', async () => {
    const root = mkdtempSync(join(tmpdir(), 'mc-templates-'));
    try {
      cpSync(join(ROOT, 'templates'), join(root, 'templates'), { recursive: true });
      const file = join(root, 'templates/locales/ja.json');
      const ja = JSON.parse(readFileSync(file, 'utf8'));
      ja.login.intro = 'Enter this code to sign in to your {appName} account.';
      ja.common.codeLabel = 'Code for you';
      ja.signin = { subject: 'x' };
      writeFileSync(file, JSON.stringify(ja));
      const error = (await generate(root).catch((e: Error) => e)) as Error;
      expect(error.message).toContain('ja: login.intro is the English text');
      expect(error.message).toContain('ja: common.codeLabel looks like English: "Code for you"');
      expect(error.message).toContain('ja: signin is unknown');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
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
    const all = { en: ENGLISH, ...LOCALE_STRINGS } as Record<string, unknown>;
    expect(Object.keys(all).sort()).toEqual([...LOCALES].sort());
    // Limits per layout and per locale, so adding a locale never trips a cap meant for something else.
    for (const layout of Object.values(LAYOUTS)) expect(Buffer.byteLength(layout.html)).toBeLessThan(20_000);
    for (const locale of LOCALES)
      expect(Buffer.byteLength(JSON.stringify(all[locale])), locale).toBeLessThan(12_000);
  });

  it('puts slots only where escaping protects them', () => {
    for (const layout of Object.values(LAYOUTS)) expect(checkSlotContexts(layout.html)).toEqual([]);
  });

  it('every locale file: the same keys and placeholders as English, no English left, a documented register', () => {
    const en = JSON.parse(readFileSync(join(ROOT, 'templates/locales/en.json'), 'utf8'));
    for (const locale of LOCALES) {
      const strings = JSON.parse(readFileSync(join(ROOT, 'templates/locales', `${locale}.json`), 'utf8'));
      expect(
        checkLocaleStrings(locale, strings, en, { mode: 'exact', untranslated: locale !== 'en' }),
      ).toEqual([]);
      expect(strings.$register, locale).toMatch(/\S{3}/);
      // Every plural category of the language has a form, for every unit.
      for (const category of new Intl.PluralRules(locale).resolvedOptions().pluralCategories) {
        for (const unit of ['seconds', 'minutes', 'hours'])
          expect(strings.units[unit][category], `${locale} ${unit} ${category}`).toBeTruthy();
      }
    }
  });

  it('the locale check catches a dropped placeholder, markup and a missing key', () => {
    const en = JSON.parse(readFileSync(join(ROOT, 'templates/locales/en.json'), 'utf8'));
    const broken = structuredClone(en);
    broken.common.expiry = 'This code expires soon.';
    broken.login.intro = 'Enter <b>this</b> code.';
    broken.login.heading = 'Sign in to {app}';
    delete broken.notice.ifYou;
    broken.extra = 'x';
    broken.units.hours = { one: '{n} hour' };
    expect(checkLocaleStrings('xx', broken, en)).toEqual([
      'xx: common.expiry uses {} but must use {duration}',
      'xx: login.heading uses unknown {app}',
      'xx: login.intro contains markup or a line break',
      'xx: login.intro uses {} but must use {appName}',
      'xx: notice.ifYou must be a non-empty string',
      'xx: extra is unknown',
      'xx: units.hours.other is required',
    ]);
  });
});

describe('slot placement check', () => {
  it.each([
    ['<style>.a{color:{{appName}}}</style>', /inside a <style> block/],
    ['<a href={{linkUrl}}>x</a>', /must be quoted/],
    ['<div onclick="{{appName}}">x</div>', /event handler onclick/],
    ['<div style="color:{{appName}}">x</div>', /style attribute/],
    ['<a href="{{appName}}">x</a>', /must start with a fixed https: or mailto: URL/],
    ['<img src="{{email}}">', /must start with a fixed https: or mailto: URL/],
    ['<a href="javascript:{{code}}">x</a>', /runs or embeds content/],
    ['<a href=" JaVaScRiPt:alert(1)">x</a>', /runs or embeds content/],
    ['<a href="java&#x09;script:x">x</a>', /runs or embeds content/],
    ['<img src="data:image/svg+xml,{{code}}">', /runs or embeds content/],
    ['<style>.a{color:{{brandColor}}}</style>', /inside a <style> block/],
    ['<div {{appName}}>x</div>', /not in a quoted attribute/],
  ])('%s is refused', (html, problem) => {
    expect(checkSlotContexts(html).join('\n')).toMatch(problem);
  });

  it.each([
    '<a href="{{linkUrl}}">{{button}}</a>',
    '<a href="mailto:{{email}}">{{email}}</a>',
    '<img src="{{logoUrl}}" alt="{{appName}}">',
    '<td bgcolor="{{brandColor}}" style="background:{{brandColor}};color:{{brandTextColor}}">{{code}}</td>',
    '<style>.btn a{background-color:{{brandColorDark}}!important}</style>',
    '<div style="text-align:{{start}};direction:{{dir}};font-size:{{codeSize}}">{{code}}</div>',
    '<a href="{{notMeUrl}}">{{notMe}}</a>',
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
