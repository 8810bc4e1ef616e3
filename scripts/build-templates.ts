// Compiles templates/*.mjml once (mjml, then html-to-text) and writes src/email/_compiled.ts: two layouts with
// {{slots}} plus every locale's strings. Run by `npm run build:templates`; test/email/compiled.test.ts fails
// when the committed file differs from what this script produces.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CODE_KINDS, checkLocaleStrings, type LocaleStrings } from '../src/email/_strings.js';
import {
  CODE_STRING_SLOTS,
  fillStrings,
  NOTICE_STRING_SLOTS,
  parseSlots,
  slotNames,
  VALUE_SLOTS,
} from '../src/email/_template.js';
import { SUPPORTED_LOCALES } from '../src/email/locale.js';
import { type CompiledLayout, compileMjml } from '../src/templates/_compile.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const OUTPUT = join(ROOT, 'src/email/_compiled.ts');

const LAYOUTS = {
  code: {
    file: 'code.mjml',
    strings: CODE_STRING_SLOTS,
    required: ['code', 'appName', 'email', 'lang', 'dir'],
  },
  notice: {
    file: 'notice.mjml',
    strings: NOTICE_STRING_SLOTS,
    required: ['appName', 'email', 'newEmail', 'lang'],
  },
} as const;
// The text part has no hidden preheader and shows a button as its bare URL.
const NOT_IN_TEXT = new Set(['preheader', 'button', 'lang', 'dir', 'subject']);

/** Builds the text of src/email/_compiled.ts. Throws listing every problem found. */
export async function generate(
  root = ROOT,
): Promise<{ source: string; layouts: Record<string, CompiledLayout> }> {
  const problems: string[] = [];
  const localeDir = join(root, 'templates/locales');
  const read = (locale: string) => JSON.parse(readFileSync(join(localeDir, `${locale}.json`), 'utf8'));
  const english = read('en') as LocaleStrings;
  const strings: Record<string, LocaleStrings> = {};
  for (const file of readdirSync(localeDir).filter((f) => f.endsWith('.json'))) {
    const locale = file.slice(0, -'.json'.length);
    if (!(SUPPORTED_LOCALES as readonly string[]).includes(locale)) {
      problems.push(`${file}: add "${locale}" to SUPPORTED_LOCALES in src/email/locale.ts first`);
    }
  }
  for (const locale of SUPPORTED_LOCALES) {
    let json: LocaleStrings & { $comment?: string };
    try {
      json = read(locale);
    } catch (error) {
      problems.push(`${locale}.json: ${(error as Error).message}`);
      continue;
    }
    problems.push(...checkLocaleStrings(locale, json, english));
    // Every plural category the language uses needs a form, or a count would fall back to the wrong one.
    for (const category of new Intl.PluralRules(locale).resolvedOptions().pluralCategories) {
      if (!json.minutes?.[category]) problems.push(`${locale}: minutes.${category} is missing`);
    }
    const { $comment: _, ...rest } = json;
    strings[locale] = rest;
  }

  // Each code kind fills the code layout from `common` plus its own strings (its own win): every string slot
  // must come from exactly one of them, so a per-kind string (like `button` or `linkIntro`) cannot be shadowed
  // or go missing.
  const common = english.common as Record<string, string>;
  for (const kind of CODE_KINDS) {
    const own = english[kind] as unknown as Record<string, string>;
    for (const slot of CODE_STRING_SLOTS) {
      if (slot in common && slot in own) problems.push(`en: ${slot} is in both common and ${kind}`);
      else if (!(slot in common) && !(slot in own)) problems.push(`en: ${kind}.${slot} is missing`);
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
    layouts[name] = layout;
  }
  if (problems.length) throw new Error(`build-templates:\n- ${problems.join('\n- ')}`);

  const layoutLines = Object.entries(layouts).map(
    ([name, l]) =>
      `  ${name}: {\n    html: ${JSON.stringify(l.html)},\n    text: ${JSON.stringify(l.text)},\n  },`,
  );
  const source = [
    '// Generated by scripts/build-templates.ts from templates/*.mjml and templates/locales/*.json.',
    '// Do not edit: change the sources and run `npm run build:templates`. A test fails when this is stale.',
    "import type { LocaleStrings } from './_strings.js';",
    "import type { Locale } from './locale.js';",
    '',
    '/** The compiled layouts: HTML and plain text with {{slots}}. */',
    'export const LAYOUTS: Readonly<Record<"code" | "notice", { readonly html: string; readonly text: string }>> = {',
    ...layoutLines,
    '};',
    '',
    "/** Every locale's strings, as in templates/locales/<locale>.json. */",
    `export const STRINGS: Readonly<Record<Locale, LocaleStrings>> = ${JSON.stringify(strings, null, 2)};`,
    '',
  ].join('\n');
  return { source, layouts };
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const { source, layouts } = await generate();
  writeFileSync(OUTPUT, source);
  for (const [name, l] of Object.entries(layouts)) {
    console.log(`${name}: html ${l.html.length} bytes, text ${l.text.length} bytes`);
  }
  console.log(`wrote ${OUTPUT}`);
}
