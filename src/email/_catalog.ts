// Which locales exist for a message, and their strings: English always; the other built-in locales once
// `mailbox-challenge/locales` is imported; a host's own locales and overrides from `message.locales`.
import { ENGLISH, LOCALE_INDEX } from './_compiled.js';
import { BUILT_IN_LOCALES } from './_kinds.js';
import { DEFAULT_LOCALE, LocaleMatcher } from './_negotiate.js';
import type { LocaleStrings } from './_strings.js';
import type { LocaleCustomization } from './render.js';

// The registry lives on globalThis under a registered symbol: a CommonJS and an ESM copy of this module (or
// two bundles) then share it, so `import 'mailbox-challenge/locales'` reaches whichever copy renders.
const REGISTRY = Symbol.for('mailbox-challenge.locales@1');
interface Registry {
  strings: Map<string, LocaleStrings>;
  version: number;
}

function registry(): Registry {
  const g = globalThis as { [REGISTRY]?: Registry };
  let r = g[REGISTRY];
  if (!r) {
    r = { strings: new Map([[DEFAULT_LOCALE, ENGLISH]]), version: 0 };
    g[REGISTRY] = r;
  }
  return r;
}

/** Makes built-in locales available to every message (what `mailbox-challenge/locales` does on import). */
export function installLocales(all: Readonly<Record<string, LocaleStrings>>): void {
  const r = registry();
  for (const [tag, strings] of Object.entries(all)) r.strings.set(tag, strings);
  r.version++;
}

/** The strings of a loaded built-in locale. */
export const builtInStrings = (tag: string): LocaleStrings | undefined => registry().strings.get(tag);

/** The locales of one message: negotiation over them, and each one's strings with overrides applied. */
export interface Catalog {
  readonly matcher: LocaleMatcher;
  strings(tag: string): LocaleStrings;
  custom(tag: string): LocaleCustomization | undefined;
}

let builtIn: { version: number; catalog: Catalog } | undefined;
const hosts = new WeakMap<object, { version: number; catalog: Catalog }>();

/** The catalog for a message's `locales` option (cached per options object and set of loaded locales). */
export function catalogFor(locales?: Readonly<Record<string, LocaleCustomization>>): Catalog {
  const r = registry();
  if (!locales) {
    if (builtIn?.version !== r.version) builtIn = { version: r.version, catalog: makeCatalog(r, {}) };
    return builtIn.catalog;
  }
  let entry = hosts.get(locales);
  if (entry?.version !== r.version) {
    entry = { version: r.version, catalog: makeCatalog(r, locales) };
    hosts.set(locales, entry);
  }
  return entry.catalog;
}

function makeCatalog(r: Registry, locales: Readonly<Record<string, LocaleCustomization>>): Catalog {
  const customs = new Map<string, LocaleCustomization>();
  for (const [tag, custom] of Object.entries(locales)) customs.set(tag.toLowerCase(), custom);
  const tags = new Map<string, readonly string[]>();
  for (const [tag, strings] of r.strings) tags.set(tag, strings.aliases);
  for (const tag of Object.keys(locales)) {
    const known = [...tags.keys()].find((t) => t.toLowerCase() === tag.toLowerCase());
    if (!known) tags.set(tag, []);
  }
  const matcher = new LocaleMatcher(tags);
  const resolved = new Map<string, LocaleStrings>();
  return {
    matcher,
    custom: (tag) => customs.get(tag.toLowerCase()),
    strings(tag: string): LocaleStrings {
      let s = resolved.get(tag);
      if (!s) {
        const custom = customs.get(tag.toLowerCase());
        const parent = custom?.extends === undefined ? undefined : r.strings.get(custom.extends);
        const base = r.strings.get(tag) ?? parent ?? ENGLISH;
        s = custom ? merge(base, custom) : base;
        resolved.set(tag, s);
      }
      return s;
    },
  };
}

function merge(base: LocaleStrings, custom: LocaleCustomization): LocaleStrings {
  const out: Record<string, unknown> = { ...base };
  for (const [section, value] of Object.entries(custom.strings ?? {})) {
    const own = (base as unknown as Record<string, unknown>)[section];
    out[section] =
      typeof value === 'object' && value !== null && !Array.isArray(value) && typeof own === 'object'
        ? { ...own, ...value }
        : value;
  }
  if (custom.dir) out.dir = custom.dir;
  return out as LocaleStrings;
}

// Built when first needed (a request for a locale that is not loaded), not at import: a cold start pays for it.
let allBuiltIns: LocaleMatcher | undefined;
let warned = false;

/**
 * The locale for a message: `locale`, then `acceptLanguage`, then English. When English is chosen although a
 * built-in translation would have matched, the locales were never imported: say so once, loudly.
 */
export function negotiate(catalog: Catalog, locale: unknown, acceptLanguage: unknown): string {
  const found = catalog.matcher.negotiate(locale, acceptLanguage);
  if (found) return found;
  if (!warned) {
    allBuiltIns ??= new LocaleMatcher(
      BUILT_IN_LOCALES.map((tag) => [tag, LOCALE_INDEX[tag].aliases] as const),
    );
    const missing = allBuiltIns.negotiate(locale, acceptLanguage);
    if (missing && missing !== DEFAULT_LOCALE && !registry().strings.has(missing)) {
      warned = true;
      console.warn(
        `mailbox-challenge: "${missing}" was asked for but only English is loaded. Add \`import 'mailbox-challenge/locales';\` once at start-up to load every built-in locale.`,
      );
    }
  }
  return DEFAULT_LOCALE;
}
