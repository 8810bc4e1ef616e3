// Per call, an email is: pick the locale, take its half-filled layout from a cache (locale strings already in
// place, parsed once), escape the few values, fill. No MJML, no HTML parsing, no regex over the layout.
import { invalidInput } from '../errors.js';
import { LAYOUTS, STRINGS } from './_compiled.js';
import { escapeHtml } from './_escape.js';
import type { CodeKind, LocaleStrings } from './_strings.js';
import {
  bindSlots,
  type CompiledTemplate,
  fillSlots,
  fillStrings,
  type Part,
  parseSlots,
  type ValueSlot,
  type Values,
} from './_template.js';
import type { Locale } from './locale.js';

/** The default brand colour: a blue with 5.2:1 contrast against white button text. */
const DEFAULT_BRAND_COLOR = '#2563eb';

interface Prepared {
  html: readonly Part[];
  text: readonly Part[];
  subject: readonly Part[];
  subjectWithCode: readonly Part[];
}

/** Prepared layouts by kind, then locale. Keys are the interned kind and locale strings: no key building. */
type Cache = Map<string, Map<Locale, Prepared>>;
const builtIn: Cache = new Map();
const custom = new WeakMap<CompiledTemplate, Cache>();
const noEscape = (s: string) => s;
/** A locale string's `{name}` placeholders as `{{name}}` slots. */
const asSlots = (s: string) => s.replace(/\{(\w+)\}/g, '{{$1}}');

function cached(cache: Cache, kind: string, locale: Locale, make: () => Prepared): Prepared {
  let byLocale = cache.get(kind);
  if (!byLocale) {
    byLocale = new Map();
    cache.set(kind, byLocale);
  }
  let prepared = byLocale.get(locale);
  if (!prepared) {
    prepared = make();
    byLocale.set(locale, prepared);
  }
  return prepared;
}

/** The layout of a code email for a locale and purpose, with the locale's strings in place (cached). */
export function preparedCode(locale: Locale, kind: CodeKind, template?: CompiledTemplate): Prepared {
  let cache = builtIn;
  if (template) {
    cache = custom.get(template) ?? new Map();
    custom.set(template, cache);
  }
  return cached(cache, kind, locale, () => {
    const s = STRINGS[locale];
    // The kind's own strings (heading, intro, button…) over the shared ones; the subjects are not slots.
    const { subject, subjectWithCode, ...message } = s[kind];
    let prepared: Prepared;
    try {
      prepared = prepare(
        template ?? LAYOUTS.code,
        { ...s.common, ...message },
        template?.subject ?? asSlots(subject),
      );
    } catch (error) {
      // Only a hand-made template gets here: compileTemplate() checks the same things up front.
      throw invalidInput(['message.template'], `message.template: ${(error as Error).message}`);
    }
    prepared.subjectWithCode = template?.subject ? prepared.subject : parseSlots(asSlots(subjectWithCode));
    return prepared;
  });
}

/** The notice layout for a locale, with its strings in place (cached). */
export function preparedNotice(locale: Locale): Prepared {
  return cached(builtIn, 'notice', locale, () => {
    const s = STRINGS[locale];
    const { subject, ...notice } = s.notice;
    return prepare(LAYOUTS.notice, { ...notice, sentTo: s.common.sentTo }, asSlots(subject));
  });
}

function prepare(
  layout: { html: string; text: string },
  strings: Record<string, string>,
  subject: string,
): Prepared {
  const parsedSubject = parseSlots(subject);
  return {
    html: parseSlots(fillStrings(layout.html, strings, escapeHtml)),
    text: parseSlots(fillStrings(layout.text, strings, noEscape)),
    subject: parsedSubject,
    subjectWithCode: parsedSubject,
  };
}

const pluralRules = new Map<Locale, Intl.PluralRules | null>();
const minutesCache = new Map<Locale, Map<number, string>>();

/** "10 minutes" in the locale's own plural form (Intl.PluralRules, cached; `other` when unavailable). */
export function minutesText(locale: Locale, minutes: number): string {
  let byCount = minutesCache.get(locale);
  if (!byCount) {
    byCount = new Map();
    minutesCache.set(locale, byCount);
  }
  let text = byCount.get(minutes);
  if (text === undefined) {
    let rules = pluralRules.get(locale);
    if (rules === undefined) {
      try {
        rules = new Intl.PluralRules(locale);
      } catch {
        rules = null; // a runtime without Intl plural data still gets a readable "other" form
      }
      pluralRules.set(locale, rules);
    }
    const forms = STRINGS[locale].minutes;
    text = ((rules && forms[rules.select(minutes)]) || forms.other).replace('{n}', String(minutes));
    if (byCount.size < 2_000) byCount.set(minutes, text); // lifetimes are at most 1,440 minutes
  }
  return text;
}

/**
 * Every value of one message: name, brand, footer and language from the options, the rest per call. One
 * object literal of a fixed shape on purpose: building it with object spread was ten times slower than the
 * whole fill (V8 leaves spread results in a slow shape), a third of the cost of a create with its email.
 */
export function messageValues(
  locale: Locale,
  options: { appName: string; brand?: { logoUrl?: string; primaryColor?: string }; supportText?: string },
  perCall: Pick<Values, 'code' | 'email' | 'newEmail' | 'minutes' | 'linkUrl'>,
): Values {
  const brandColor = options.brand?.primaryColor ?? DEFAULT_BRAND_COLOR;
  return {
    appName: options.appName,
    logoUrl: options.brand?.logoUrl,
    brandColor,
    brandTextColor: textColorOn(brandColor),
    supportText: options.supportText,
    lang: locale,
    dir: localeDir(locale),
    code: perCall.code,
    email: perCall.email,
    newEmail: perCall.newEmail,
    minutes: perCall.minutes,
    linkUrl: perCall.linkUrl,
  };
}

/** The expiry stated in whole minutes, never rounded up (a person should not expect more time than there is). */
export const ttlMinutes = (ttlSeconds: number): number => Math.max(1, Math.floor(ttlSeconds / 60));

const textColors = new Map<string, string>();

/** Black or white, whichever reads better on the brand colour (WCAG relative luminance); cached. */
function textColorOn(hex: string): string {
  let color = textColors.get(hex);
  if (color === undefined) {
    color = computeTextColor(hex);
    if (textColors.size < 256) textColors.set(hex, color);
  }
  return color;
}

function computeTextColor(hex: string): string {
  const full = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, '$&$&') : hex;
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  // Contrast with white, 1.05 / (L + 0.05), against contrast with #111827 (L ≈ 0.0092).
  return 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.0592 ? '#ffffff' : '#111827';
}

/**
 * Values that depend on the host's configuration, not on the call: a prepared layout is specialised for them
 * once (and cached), so a call escapes and fills only its code, address, link and subject.
 */
const HOST_SLOTS: ReadonlySet<ValueSlot> = new Set<ValueSlot>([
  'appName',
  'logoUrl',
  'brandColor',
  'brandTextColor',
  'supportText',
  'minutes',
  'lang',
  'dir',
]);
const MAX_BOUND_PER_LAYOUT = 8;

interface BoundEntry {
  appName: string | undefined;
  logoUrl: string | undefined;
  brandColor: string | undefined;
  supportText: string | undefined;
  minutes: string | undefined;
  layout: Prepared;
}
const boundCache = new WeakMap<Prepared, BoundEntry[]>();

function bound(prepared: Prepared, raw: Values): Prepared {
  let entries = boundCache.get(prepared);
  if (!entries) {
    entries = [];
    boundCache.set(prepared, entries);
  }
  // A short scan comparing the fields (lang and dir follow from the layout's locale, brandTextColor from
  // brandColor): cheaper than building and hashing a key on every call.
  for (const e of entries) {
    if (
      e.appName === raw.appName &&
      e.brandColor === raw.brandColor &&
      e.minutes === raw.minutes &&
      e.logoUrl === raw.logoUrl &&
      e.supportText === raw.supportText
    ) {
      return e.layout;
    }
  }
  const escaped: Values = {};
  for (const name of HOST_SLOTS) if (raw[name] !== undefined) escaped[name] = escapeHtml(raw[name]);
  const layout: Prepared = {
    html: bindSlots(prepared.html, escaped, HOST_SLOTS),
    text: bindSlots(prepared.text, raw, HOST_SLOTS),
    subject: bindSlots(prepared.subject, raw, HOST_SLOTS),
    subjectWithCode: bindSlots(prepared.subjectWithCode, raw, HOST_SLOTS),
  };
  if (entries.length >= MAX_BOUND_PER_LAYOUT) entries.shift(); // many configurations at once: stay bounded
  const { appName, logoUrl, brandColor, supportText, minutes } = raw;
  entries.push({ appName, logoUrl, brandColor, supportText, minutes, layout });
  return layout;
}

/** Fills a prepared layout: the subject from raw values, the HTML from escaped ones, the text from raw ones. */
export function fill(
  locale: Locale,
  prepared: Prepared,
  raw: Values,
  codeInSubject: boolean,
): { subject: string; html: string; text: string; locale: Locale } {
  const b = bound(prepared, raw);
  const subject = fillSlots(codeInSubject ? b.subjectWithCode : b.subject, raw);
  // Every value in the subject is validated single-line; this guards a header against a future mistake.
  if (/[\r\n]/.test(subject)) throw invalidInput(['subject'], 'the subject must be a single line');
  const perCall: Values = {
    subject,
    code: raw.code,
    email: raw.email,
    newEmail: raw.newEmail,
    linkUrl: raw.linkUrl,
  };
  const escaped: Values = {
    subject: escapeHtml(subject),
    code: raw.code === undefined ? undefined : escapeHtml(raw.code),
    email: raw.email === undefined ? undefined : escapeHtml(raw.email),
    newEmail: raw.newEmail === undefined ? undefined : escapeHtml(raw.newEmail),
    linkUrl: raw.linkUrl === undefined ? undefined : escapeHtml(raw.linkUrl),
  };
  return { subject, html: fillSlots(b.html, escaped), text: fillSlots(b.text, perCall), locale };
}

export const localeDir = (locale: Locale): LocaleStrings['dir'] => STRINGS[locale].dir;
