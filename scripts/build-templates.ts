// Compiles templates/*.mjml once (mjml, then html-to-text) and reads templates/locales/*.json, then writes:
//   src/email/_kinds.ts             the list of locales and of purpose kinds, alone: what needs only the lists
//                                   (the testing entry, the CLI) does not load the layouts
//   src/email/_compiled.ts          the two layouts, each locale's direction and aliases, English
//   src/email/_compiled-locales.ts  every other locale's strings (the `mailbox-challenge/locales` entry)
// The locale list is the files in templates/locales; the purpose kinds are the sections of en.json that are
// not shared ones. Everything else (types, CLI, tests) derives from these lists. Run by
// `npm run build:templates`; test/email/compiled.test.ts fails when a committed file is stale.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  CODE_STRING_SLOTS,
  fillStrings,
  NOTICE_STRING_SLOTS,
  parseSlots,
  slotNames,
  VALUE_SLOTS,
} from '../src/email/_fill.js';
import { checkLocaleStrings, type LocaleStrings, NON_PURPOSE_SECTIONS, TAG } from '../src/email/_strings.js';
import { type CompiledLayout, compileMjml } from '../src/templates/_compile.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT_KINDS = join(ROOT, 'src/email/_kinds.ts');
export const OUTPUT = join(ROOT, 'src/email/_compiled.ts');
export const OUTPUT_LOCALES = join(ROOT, 'src/email/_compiled-locales.ts');

const LAYOUTS = {
  code: {
    file: 'code.mjml',
    strings: CODE_STRING_SLOTS,
    required: ['code', 'appName', 'email', 'lang', 'dir', 'start', 'codeSize', 'codeSpacing'],
  },
  notice: {
    file: 'notice.mjml',
    strings: NOTICE_STRING_SLOTS,
    required: [
      'appName',
      'email',
      'newEmail',
      'lang',
      'dir',
      'start',
      'notMeUrl',
      'supportUrl',
      'hasPassword',
    ],
  },
} as const;
// The text part has no hidden preheader, shows a button as its bare URL and has no layout values.
const NOT_IN_TEXT = new Set([
  'preheader',
  'button',
  'notMe',
  'lang',
  'dir',
  'start',
  'subject',
  'codeSize',
  'codeSpacing',
]);
// A purpose kind becomes part of a store-free name in code and in file names: the purpose field's own rule.
const PURPOSE = /^[a-z0-9][a-z0-9_-]{0,31}$/;

export interface Generated {
  kindsSource: string;
  source: string;
  localesSource: string;
  layouts: Record<string, CompiledLayout>;
  locales: string[];
  purposeKinds: string[];
}

/** Builds the text of the generated modules. Throws listing every problem found. */
export async function generate(root = ROOT): Promise<Generated> {
  const problems: string[] = [];
  const localeDir = join(root, 'templates/locales');
  const locales = readdirSync(localeDir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -'.json'.length))
    .sort();
  const strings: Record<string, LocaleStrings> = {};
  for (const locale of locales) {
    if (!TAG.test(locale)) {
      problems.push(`${locale}.json: the file name must be a language tag such as de, pt-BR or zh-Hant`);
      continue;
    }
    try {
      const {
        $comment: _c,
        $register: register,
        ...rest
      } = JSON.parse(readFileSync(join(localeDir, `${locale}.json`), 'utf8'));
      if (typeof register !== 'string' || register.trim() === '') {
        problems.push(`${locale}.json: $register must say which voice the translation uses`);
      }
      strings[locale] = rest;
    } catch (error) {
      problems.push(`${locale}.json: ${(error as Error).message}`);
    }
  }
  const english = strings.en;
  if (!english) throw new Error('build-templates:\n- templates/locales/en.json is missing');

  // Purpose kinds: every section of en.json that is not shared. `default` serves any other purpose.
  const purposeKinds = Object.keys(english).filter(
    (k) => !(NON_PURPOSE_SECTIONS as readonly string[]).includes(k),
  );
  if (!purposeKinds.includes('default')) problems.push('en: the "default" purpose section is missing');
  const reference = english.default as unknown as Record<string, unknown> | undefined;
  for (const kind of purposeKinds) {
    if (!PURPOSE.test(kind)) problems.push(`en: "${kind}" is not a purpose name (a-z 0-9 _ -, 1-32)`);
    const own = english[kind as 'default'] as unknown as Record<string, unknown>;
    if (reference && kind !== 'default') {
      // A section no code would read (a misspelt key, a missing string) fails here instead of shipping.
      const keys = (o: object) => Object.keys(o).sort().join(',');
      if (typeof own !== 'object' || own === null || keys(own) !== keys(reference)) {
        problems.push(
          `en: the "${kind}" section must have exactly the keys of "default": ${keys(reference)}`,
        );
      }
    }
  }

  // Each purpose kind fills the code layout from `common` plus its own strings (its own win): every string
  // slot must come from exactly one of them, so a per-kind string (like `button`) cannot be shadowed or missing.
  const common = english.common as Record<string, string>;
  for (const kind of purposeKinds) {
    const own = (english[kind as 'default'] ?? {}) as unknown as Record<string, string>;
    for (const slot of CODE_STRING_SLOTS) {
      if (slot in common && slot in own) problems.push(`en: ${slot} is in both common and ${kind}`);
      else if (!(slot in common) && !(slot in own)) problems.push(`en: ${kind}.${slot} is missing`);
    }
  }

  const aliasOwner = new Map<string, string>();
  for (const locale of locales) {
    const json = strings[locale];
    if (!json) continue;
    problems.push(
      ...checkLocaleStrings(locale, json, english, { mode: 'exact', untranslated: locale !== 'en' }),
    );
    // Every plural category the language uses needs a form, or a count would fall back to the wrong one.
    for (const category of new Intl.PluralRules(locale).resolvedOptions().pluralCategories) {
      for (const unit of ['seconds', 'minutes', 'hours'] as const) {
        if (!json.units?.[unit]?.[category]) problems.push(`${locale}: units.${unit}.${category} is missing`);
      }
    }
    for (const alias of json.aliases ?? []) {
      const key = alias.toLowerCase();
      const owner = aliasOwner.get(key) ?? locales.find((l) => l.toLowerCase() === key);
      if (owner) problems.push(`${locale}: alias ${alias} already belongs to ${owner}`);
      aliasOwner.set(key, locale);
    }
  }

  const layouts: Record<string, CompiledLayout> = {};
  for (const [name, spec] of Object.entries(LAYOUTS)) {
    const filePath = join(root, 'templates', spec.file);
    const layout = await compileMjml(readFileSync(filePath, 'utf8'), { filePath, includes: true });
    const allowed = new Set<string>([...VALUE_SLOTS, ...spec.strings]);
    for (const part of ['html', 'text'] as const) {
      const used = slotNames(layout[part]);
      for (const slot of used)
        if (!allowed.has(slot)) problems.push(`${spec.file} (${part}): unknown slot {{${slot}}}`);
      const sample = { ...english.common, ...english.login, ...english.notice };
      const filled = slotNames(fillStrings(layout[part], sample, String));
      for (const slot of [...spec.required, ...spec.strings]) {
        if (part === 'text' && NOT_IN_TEXT.has(slot)) continue;
        if (!used.has(slot) && !filled.has(slot))
          problems.push(`${spec.file} (${part}): {{${slot}}} is missing`);
      }
      try {
        parseSlots(fillStrings(layout[part], sample, String));
      } catch (error) {
        problems.push(`${spec.file} (${part}): ${(error as Error).message}`);
      }
    }
    if (/direction:\s*ltr|text-align:\s*left|align="left"/i.test(layout.html)) {
      problems.push(`${spec.file}: the compiled HTML hard-codes a left-to-right direction`);
    }
    layouts[name] = layout;
  }
  if (problems.length) throw new Error(`build-templates:\n- ${problems.join('\n- ')}`);

  const layoutLines = Object.entries(layouts).map(
    ([name, l]) =>
      `  ${name}: {\n    html: ${JSON.stringify(l.html)},\n    text: ${JSON.stringify(l.text)},\n  },`,
  );
  const index = Object.fromEntries(
    locales.map((l) => [l, { dir: strings[l]!.dir, aliases: strings[l]!.aliases }]),
  );
  const others = Object.fromEntries(locales.filter((l) => l !== 'en').map((l) => [l, strings[l]]));
  const header = [
    '// Generated by scripts/build-templates.ts from templates/*.mjml and templates/locales/*.json.',
    '// Do not edit: change the sources and run `npm run build:templates`. A test fails when this is stale.',
  ];
  const kindsSource = [
    ...header,
    '',
    '/** Every built-in locale: one per file in templates/locales. */',
    `export const BUILT_IN_LOCALES = ${JSON.stringify(locales)} as const;`,
    'export type BuiltInLocale = (typeof BUILT_IN_LOCALES)[number];',
    '',
    '/** Purposes with their own wording (the sections of en.json); any other purpose reads as `default`. */',
    `export const PURPOSE_KINDS = ${JSON.stringify(purposeKinds)} as const;`,
    'export type PurposeKind = (typeof PURPOSE_KINDS)[number];',
    '',
  ].join('\n');
  const source = [
    ...header,
    "import type { BuiltInLocale } from './_kinds.js';",
    "import type { LocaleStrings } from './_strings.js';",
    '',
    '/** The compiled layouts: HTML and plain text with {{slots}}. */',
    'export const LAYOUTS: Readonly<Record<"code" | "notice", { readonly html: string; readonly text: string }>> = {',
    ...layoutLines,
    '};',
    '',
    "/** Each built-in locale's direction and the other tags it answers for, so the core can negotiate them. */",
    `export const LOCALE_INDEX: Readonly<Record<BuiltInLocale, { readonly dir: 'ltr' | 'rtl'; readonly aliases: readonly string[] }>> = ${JSON.stringify(index)};`,
    '',
    '/** English, as in templates/locales/en.json: always present, the fallback of every negotiation. */',
    `export const ENGLISH: LocaleStrings = ${JSON.stringify(english, null, 2)};`,
    '',
  ].join('\n');
  const localesSource = [
    ...header,
    "import type { BuiltInLocale } from './_kinds.js';",
    "import type { LocaleStrings } from './_strings.js';",
    '',
    "/** Every built-in locale's strings but English's, as in templates/locales/<locale>.json. */",
    `export const LOCALE_STRINGS: Readonly<Record<Exclude<BuiltInLocale, 'en'>, LocaleStrings>> = ${JSON.stringify(others, null, 2)};`,
    '',
  ].join('\n');
  return { kindsSource, source, localesSource, layouts, locales, purposeKinds };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { kindsSource, source, localesSource, layouts, locales, purposeKinds } = await generate();
  writeFileSync(OUTPUT_KINDS, kindsSource);
  writeFileSync(OUTPUT, source);
  writeFileSync(OUTPUT_LOCALES, localesSource);
  for (const [name, l] of Object.entries(layouts)) {
    console.log(`${name}: html ${l.html.length} bytes, text ${l.text.length} bytes`);
  }
  console.log(`${locales.length} locales: ${locales.join(' ')}`);
  console.log(`purpose kinds: ${purposeKinds.join(' ')}`);
  console.log(`wrote ${OUTPUT_KINDS}, ${OUTPUT} and ${OUTPUT_LOCALES}`);
}
