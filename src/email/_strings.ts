// The shape of templates/locales/*.json, and the checks the build script (built-in files) and the options
// schema (a host's overrides and own locales) run on them.
import type { MailboxChallengeErrorCode } from '../errors.js';
import { lazyRegExp } from '../lib/_lazy.js';
import type { PurposeKind } from './_kinds.js';

/** The strings of one purpose's code email (`signup`, `login`, `email-change`, `default`). */
export interface CodeMessageStrings {
  subject: string;
  subjectWithCode: string;
  preheader: string;
  heading: string;
  intro: string;
  /** The sentence above the one-click button, "Or sign in with one click on this device:" for `login`. */
  linkIntro: string;
  /** The one-click button's label, e.g. "Sign in" for `login`. */
  button: string;
}

/** `{n} minutes` by plural category (Intl.PluralRules); `other` is required. */
export type PluralForms = Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };

/** The strings of the notice sent to the old address when an account's address is being changed. */
export interface NoticeStrings {
  subject: string;
  preheader: string;
  heading: string;
  /** Ends with a colon: the new address follows, highlighted. */
  body: string;
  ifYou: string;
  /** For apps that sign in without a password. */
  ifNotYou: string;
  /** For apps with passwords (`notice.hasPassword: true`). */
  ifNotYouPassword: string;
  /** The label of the "this wasn't me" button (shown with `notice.notMeUrl`). */
  notMe: string;
  /** The label of the support link (shown with `notice.supportUrl`). */
  support: string;
}

/** Every string of one locale: the contents of `templates/locales/<locale>.json`. */
export type LocaleStrings = {
  /** The language's own name, e.g. "Deutsch". */
  name: string;
  dir: 'ltr' | 'rtl';
  /** Other language tags this locale answers for (`pt` → `pt-BR`, `zh-TW` → `zh-Hant`). */
  aliases: readonly string[];
  /** Durations by unit and plural category. */
  units: { seconds: PluralForms; minutes: PluralForms; hours: PluralForms };
  common: { codeLabel: string; expiry: string; neverShare: string; ignore: string; sentTo: string };
  notice: NoticeStrings;
  /** A short message for the person, per error code: what happened and what to do next. */
  errors: Record<MailboxChallengeErrorCode, string>;
} & Record<PurposeKind, CodeMessageStrings>;

/** Sections of a strings file that are not a purpose's wording. */
export const NON_PURPOSE_SECTIONS = [
  'name',
  'dir',
  'aliases',
  'units',
  'common',
  'notice',
  'errors',
] as const;
const UNITS = ['seconds', 'minutes', 'hours'] as const;
const PLURAL_CATEGORIES = ['zero', 'one', 'two', 'few', 'many', 'other'];
const placeholders = (s: string) => [...new Set([...s.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!))].sort();
// Words that only English uses: one of them in a non-English file is English left behind.
const ENGLISH_ONLY = /\b(?:the|your|you|please|this|with|from|ignore|sign in)\b/i;

interface CheckOptions {
  /** `exact` (built-in files and new locales): every key, the same placeholders. `partial`: overrides. */
  mode: 'exact' | 'partial';
  /** Flag strings identical to English and English-only words (built-in translations only). */
  untranslated?: boolean;
}

const MARKUP_OR_BREAK = lazyRegExp(String.raw`[<>]|[\p{Cc}\u2028\u2029]`, 'u');

/**
 * Checks a locale's strings against the English ones: the same keys (or a subset, for overrides), no unknown
 * keys, every string non-empty, one line, without markup or stray braces, using the English string's
 * `{placeholders}` (exactly, or a subset for overrides), and plural forms for durations. Returns the problems.
 */
export function checkLocaleStrings(
  locale: string,
  strings: unknown,
  english: LocaleStrings,
  options: CheckOptions = { mode: 'exact' },
): string[] {
  const problems: string[] = [];
  const exact = options.mode === 'exact';
  const skip = (key: string) => key.startsWith('$') || key === 'units' || key === 'aliases' || key === 'dir';
  const visit = (path: string, value: unknown, reference: unknown) => {
    if (typeof reference === 'string') {
      if (typeof value !== 'string' || !value.trim())
        return problems.push(`${locale}: ${path} must be a non-empty string`);
      if (MARKUP_OR_BREAK().test(value)) problems.push(`${locale}: ${path} contains markup or a line break`);
      // Embeddings, overrides and isolates can make a subject read backwards; the layout isolates values itself.
      if (/[\u202a-\u202e\u2066-\u2069]/.test(value))
        problems.push(`${locale}: ${path} contains a bidi embedding, override or isolate character`);
      const want = placeholders(reference);
      const got = placeholders(value);
      const unknown = got.filter((p) => !want.includes(p));
      if (unknown.length) problems.push(`${locale}: ${path} uses unknown {${unknown.join('}, {')}}`);
      else if (exact && got.join() !== want.join())
        problems.push(`${locale}: ${path} uses {${got.join(',')}} but must use {${want.join(',')}}`);
      if (/[{}]/.test(value.replace(/\{\w+\}/g, ''))) problems.push(`${locale}: ${path} has a stray brace`);
      if (options.untranslated && path !== 'name') {
        if (value === reference) problems.push(`${locale}: ${path} is the English text`);
        else if (ENGLISH_ONLY.test(value.replace(/\{\w+\}/g, '')))
          problems.push(`${locale}: ${path} looks like English: "${value}"`);
      }
      return;
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      if (exact || value !== undefined) problems.push(`${locale}: ${path} is missing or not an object`);
      return;
    }
    const ref = reference as Record<string, unknown>;
    const val = value as Record<string, unknown>;
    const at = (key: string) => (path ? `${path}.${key}` : key);
    for (const key of Object.keys(ref)) {
      if (skip(key)) continue;
      if (exact || Object.hasOwn(val, key)) visit(at(key), val[key], ref[key]);
    }
    for (const key of Object.keys(val))
      if (!skip(key) && !Object.hasOwn(ref, key)) problems.push(`${locale}: ${at(key)} is unknown`);
  };
  visit('', strings, english);
  const s = (strings ?? {}) as Partial<Record<string, unknown>>;
  if (exact || s.units !== undefined) problems.push(...checkUnits(locale, s.units, exact));
  if ((exact || s.dir !== undefined) && s.dir !== 'ltr' && s.dir !== 'rtl')
    problems.push(`${locale}: dir must be "ltr" or "rtl"`);
  if (exact || s.aliases !== undefined) {
    const ok = Array.isArray(s.aliases) && s.aliases.every((a) => typeof a === 'string' && TAG.test(a));
    if (!ok) problems.push(`${locale}: aliases must be a list of language tags`);
  }
  return problems;
}

/** A BCP 47 language tag as the locale files and options spell it: `de`, `pt-BR`, `zh-Hant`, `de-CH-1996`. */
export const TAG = /^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*$/;

function checkUnits(locale: string, units: unknown, exact: boolean): string[] {
  const problems: string[] = [];
  if (typeof units !== 'object' || units === null) return [`${locale}: units is missing`];
  const u = units as Record<string, unknown>;
  for (const key of Object.keys(u))
    if (!(UNITS as readonly string[]).includes(key)) problems.push(`${locale}: units.${key} is unknown`);
  for (const unit of UNITS) {
    const forms = u[unit];
    if (forms === undefined && !exact) continue;
    if (
      typeof forms !== 'object' ||
      forms === null ||
      typeof (forms as { other?: unknown }).other !== 'string'
    ) {
      problems.push(`${locale}: units.${unit}.other is required`);
      continue;
    }
    for (const [category, value] of Object.entries(forms)) {
      const where = `${locale}: units.${unit}.${category}`;
      if (!PLURAL_CATEGORIES.includes(category)) problems.push(`${where} is not a plural category`);
      else if (typeof value !== 'string' || !value.trim() || /[<>{}]/.test(value.replace('{n}', ''))) {
        problems.push(`${where} must be plain text with at most {n}`);
      } else if (category === 'other' && !value.includes('{n}')) {
        // "one" may spell the number out ("ساعة واحدة"); every other count needs the number itself.
        problems.push(`${where} must use {n}`);
      }
    }
  }
  return problems;
}
