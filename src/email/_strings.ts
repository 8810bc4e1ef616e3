// The shape of templates/locales/*.json, and the checks the build script runs on every file.
import type { MailboxChallengeErrorCode } from '../errors.js';
import type { Locale } from './locale.js';

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

export interface LocaleStrings {
  /** The language's own name, e.g. "Deutsch". */
  name: string;
  dir: 'ltr' | 'rtl';
  /** `{n} minutes` by plural category (Intl.PluralRules); `other` is required. */
  minutes: Partial<Record<Intl.LDMLPluralRule, string>> & { other: string };
  common: {
    codeLabel: string;
    expiry: string;
    neverShare: string;
    ignore: string;
    sentTo: string;
  };
  signup: CodeMessageStrings;
  login: CodeMessageStrings;
  'email-change': CodeMessageStrings;
  default: CodeMessageStrings;
  notice: {
    subject: string;
    preheader: string;
    heading: string;
    body: string;
    ifYou: string;
    ifNotYou: string;
  };
  /** A short message for the person, per error code: what happened and what to do next. */
  errors: Record<MailboxChallengeErrorCode, string>;
}

/** Purposes with their own wording; any other purpose uses `default`. */
export const CODE_KINDS = ['signup', 'login', 'email-change', 'default'] as const;
export type CodeKind = (typeof CODE_KINDS)[number];

export const codeKindOf = (purpose: string): CodeKind =>
  purpose === 'signup' || purpose === 'login' || purpose === 'email-change' ? purpose : 'default';

const PLURAL_CATEGORIES = ['zero', 'one', 'two', 'few', 'many', 'other'];
const placeholders = (s: string) => [...s.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]).sort();

/**
 * Checks a locale file against the English one: the same keys, every string non-empty and using exactly the
 * same `{placeholders}` (translations reorder them freely), no markup, no stray braces. Returns the problems.
 */
export function checkLocaleStrings(
  locale: Locale | string,
  strings: unknown,
  english: LocaleStrings,
): string[] {
  const problems: string[] = [];
  const skip = (key: string) => key === '$comment' || key === 'minutes';
  const visit = (path: string, value: unknown, reference: unknown) => {
    if (typeof reference === 'string') {
      if (typeof value !== 'string' || !value.trim())
        return problems.push(`${locale}: ${path} must be a string`);
      if (/[<>]|[\p{Cc}]/u.test(value))
        problems.push(`${locale}: ${path} contains markup or control characters`);
      const want = placeholders(reference).join(',');
      const got = placeholders(value).join(',');
      if (want !== got) problems.push(`${locale}: ${path} uses {${got}} but must use {${want}}`);
      if (/[{}]/.test(value.replace(/\{\w+\}/g, ''))) problems.push(`${locale}: ${path} has a stray brace`);
      return;
    }
    if (typeof value !== 'object' || value === null) return problems.push(`${locale}: ${path} is missing`);
    const ref = reference as Record<string, unknown>;
    const val = value as Record<string, unknown>;
    const at = (key: string) => (path ? `${path}.${key}` : key);
    for (const key of Object.keys(ref)) if (!skip(key)) visit(at(key), val[key], ref[key]);
    for (const key of Object.keys(val))
      if (!skip(key) && !(key in ref)) problems.push(`${locale}: ${at(key)} is unknown`);
  };
  visit('', strings, english);
  // Plural forms differ by language: each locale lists its own categories; `other` is required.
  const m = (strings as { minutes?: Record<string, unknown> }).minutes;
  if (typeof m !== 'object' || m === null || typeof m.other !== 'string') {
    problems.push(`${locale}: minutes.other is required`);
  } else {
    for (const [category, value] of Object.entries(m)) {
      if (!PLURAL_CATEGORIES.includes(category))
        problems.push(`${locale}: minutes.${category} is not a plural category`);
      else if (typeof value !== 'string' || placeholders(value).join(',') !== 'n') {
        problems.push(`${locale}: minutes.${category} must be a string using {n}`);
      }
    }
  }
  const dir = (strings as { dir?: unknown }).dir;
  if (dir !== 'ltr' && dir !== 'rtl') problems.push(`${locale}: dir must be "ltr" or "rtl"`);
  return problems;
}
