// Per call, an email is: pick the locale, take its half-filled layout from a cache (locale strings already in
// place, parsed once), bind the host's values once per configuration, escape the few per-call values, fill.
// No MJML, no HTML parsing, no regex over the layout.
import { invalidInput } from '../errors.js';

import { LAYOUTS } from './_compiled.js';
import { escapeHtml } from './_escape.js';
import {
  bindSlots,
  fillSlots,
  fillStrings,
  type Part,
  parseSlots,
  type ValueSlot,
  type Values,
} from './_fill.js';
import type { PurposeKind } from './_kinds.js';
import type { LocaleStrings, PluralForms } from './_strings.js';
import type { CompiledTemplate } from './compiled-template.js';
import type { FooterLink } from './render.js';

/** The default brand colour: a blue with 5.2:1 contrast against white button text. */
export const DEFAULT_BRAND_COLOR = '#2563eb';
/** The card behind the button, light and dark (templates/_head.mjml). */
export const CARD_LIGHT = '#ffffff';
export const CARD_DARK = '#1c1c21';

interface Prepared {
  html: readonly Part[];
  text: readonly Part[];
  subject: readonly Part[];
  subjectWithCode: readonly Part[];
}

type ByKind = Map<string, Prepared>;
const builtIn = new WeakMap<LocaleStrings, ByKind>();
const custom = new WeakMap<CompiledTemplate, WeakMap<LocaleStrings, ByKind>>();
const noEscape = (s: string) => s;
/** A locale string's `{name}` placeholders as `{{name}}` slots. */
const asSlots = (s: string) => s.replace(/\{(\w+)\}/g, '{{$1}}');
// Addresses and codes are left-to-right inside any sentence: isolated, they keep their order in Arabic.
const LTR_VALUES = new Set(['email', 'newEmail', 'code']);
const htmlSlot = (name: string) =>
  LTR_VALUES.has(name) ? `<span dir="ltr">{{${name}}}</span>` : `{{${name}}}`;

function cached(
  cache: WeakMap<LocaleStrings, ByKind>,
  strings: LocaleStrings,
  kind: string,
  make: () => Prepared,
) {
  let byKind = cache.get(strings);
  if (!byKind) {
    byKind = new Map();
    cache.set(strings, byKind);
  }
  let prepared = byKind.get(kind);
  if (!prepared) {
    prepared = make();
    byKind.set(kind, prepared);
  }
  return prepared;
}

/** The layout of a code email for a locale's strings and a purpose kind, strings in place (cached). */
export function preparedCode(
  strings: LocaleStrings,
  kind: PurposeKind,
  template?: CompiledTemplate,
): Prepared {
  let cache = builtIn;
  if (template) {
    cache = custom.get(template) ?? new WeakMap();
    custom.set(template, cache);
  }
  return cached(cache, strings, kind, () => {
    // The kind's own strings (heading, intro, button…) over the shared ones; the subjects are not slots.
    const { subject, subjectWithCode, ...message } = strings[kind];
    let prepared: Prepared;
    try {
      prepared = prepare(
        template ?? LAYOUTS.code,
        { ...strings.common, ...message },
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

/** The notice layout for a locale's strings (cached). */
export function preparedNotice(strings: LocaleStrings): Prepared {
  return cached(builtIn, strings, '$notice', () => {
    const { subject, ...notice } = strings.notice;
    return prepare(LAYOUTS.notice, { ...notice, sentTo: strings.common.sentTo }, asSlots(subject));
  });
}

function prepare(
  layout: { html: string; text: string },
  strings: Record<string, string>,
  subject: string,
): Prepared {
  // A heading never breaks at a hyphen ("E- / Mail-Adresse" on a phone): U+2011 is a hyphen that does not.
  const html = { ...strings, heading: (strings.heading ?? '').replaceAll('-', '\u2011') };
  const parsedSubject = parseSlots(subject);
  return {
    html: parseSlots(fillStrings(layout.html, html, escapeHtml, htmlSlot)),
    text: parseSlots(fillStrings(layout.text, strings, noEscape)),
    subject: parsedSubject,
    subjectWithCode: parsedSubject,
  };
}

const pluralRules = new Map<string, Intl.PluralRules | null>();

function plural(tag: string, forms: PluralForms, n: number): string {
  let rules = pluralRules.get(tag);
  if (rules === undefined) {
    try {
      rules = new Intl.PluralRules(tag);
    } catch {
      rules = null; // a runtime without Intl plural data (or a made-up tag) still gets the "other" form
    }
    if (pluralRules.size < 256) pluralRules.set(tag, rules);
  }
  return ((rules && forms[rules.select(n)]) || forms.other).replace('{n}', String(n));
}

// A lifetime's text per locale's units, tag and seconds: hosts use one or two lifetimes, so this stays small.
const durations = new WeakMap<LocaleStrings['units'], Map<string, Map<number, string>>>();

/**
 * A lifetime in natural units, never more than is left: seconds under a minute, whole minutes up to 119,
 * then whole hours (rounded down: 150 minutes read "2 hours", 30 seconds "30 seconds", never "1 minute").
 */
export function durationText(tag: string, units: LocaleStrings['units'], ttlSeconds: number): string {
  let byTag = durations.get(units);
  if (!byTag) {
    byTag = new Map();
    durations.set(units, byTag);
  }
  let bySeconds = byTag.get(tag);
  if (!bySeconds) {
    if (byTag.size >= 64) byTag.clear();
    bySeconds = new Map();
    byTag.set(tag, bySeconds);
  }
  let text = bySeconds.get(ttlSeconds);
  if (text === undefined) {
    text = lifetimeText(tag, units, ttlSeconds);
    if (bySeconds.size >= 64) bySeconds.clear();
    bySeconds.set(ttlSeconds, text);
  }
  return text;
}

function lifetimeText(tag: string, units: LocaleStrings['units'], ttlSeconds: number): string {
  const seconds = Math.max(1, Math.floor(ttlSeconds));
  if (seconds < 60) return plural(tag, units.seconds, seconds);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 120) return plural(tag, units.minutes, minutes);
  return plural(tag, units.hours, Math.floor(minutes / 60));
}

const CODE_LARGE = { codeSize: '34px', codeSpacing: '8px' } as const;
const CODE_MEDIUM = { codeSize: '28px', codeSpacing: '5px' } as const;
const CODE_SMALL = { codeSize: '24px', codeSpacing: '3px' } as const;

/** The code's size by its length: at 320 px and without `<style>`, 10 characters still fit on one line. */
function codeMetrics(length: number): { codeSize: string; codeSpacing: string } {
  if (length <= 6) return CODE_LARGE;
  if (length <= 8) return CODE_MEDIUM;
  return CODE_SMALL;
}

/** The host's values, resolved for one locale: what a prepared layout is specialised for. */
export interface HostValues {
  appName: string;
  logo?: { url: string; darkUrl?: string; width: number; height: number };
  brandColor?: string;
  brandColorDark?: string;
  supportText?: string;
  footerLinks?: readonly FooterLink[];
  notMeUrl?: string;
  supportUrl?: string;
  hasPassword?: boolean;
}

/** Every value of one message. One object literal of a fixed shape: V8 keeps it fast. */
export function messageValues(
  tag: string,
  dir: 'ltr' | 'rtl',
  host: HostValues,
  perCall: Pick<Values, 'code' | 'email' | 'newEmail' | 'duration' | 'linkUrl' | 'recipientName'>,
): Values {
  const brandColor = host.brandColor ?? DEFAULT_BRAND_COLOR;
  const brandColorDark = host.brandColorDark ?? darkVariant(brandColor);
  const metrics = perCall.code === undefined ? undefined : codeMetrics(perCall.code.length);
  return {
    appName: host.appName,
    logoUrl: host.logo?.url,
    logoDarkUrl: host.logo?.darkUrl,
    logoWidth: host.logo ? String(host.logo.width) : undefined,
    logoHeight: host.logo ? String(host.logo.height) : undefined,
    brandColor,
    brandTextColor: textColorOn(brandColor),
    brandColorDark,
    brandTextColorDark: textColorOn(brandColorDark),
    supportText: host.supportText,
    footerLinks: host.footerLinks?.length ? footerText(host.footerLinks) : undefined,
    notMeUrl: host.notMeUrl,
    supportUrl: host.supportUrl,
    hasPassword: host.hasPassword ? '1' : undefined,
    lang: tag,
    dir,
    start: dir === 'rtl' ? 'right' : 'left',
    code: perCall.code,
    codeSize: metrics?.codeSize,
    codeSpacing: metrics?.codeSpacing,
    email: perCall.email,
    newEmail: perCall.newEmail,
    recipientName: perCall.recipientName,
    duration: perCall.duration,
    minutes: perCall.duration,
    linkUrl: perCall.linkUrl,
  };
}

// Footer links travel as text ("Privacy: https://…" lines) in the values; the HTML part gets links built
// here from the same pairs, each part escaped, so a host never supplies markup.
const FOOTER_SEPARATOR = '\u0000';
function footerText(links: readonly FooterLink[]): string {
  return links.map((l) => `${l.text}${FOOTER_SEPARATOR}${l.href}`).join('\n');
}
function footerHtml(value: string): string {
  return value
    .split('\n')
    .map((line) => {
      const [text = '', href = ''] = line.split(FOOTER_SEPARATOR);
      return `<a href="${escapeHtml(href)}" style="color:inherit;text-decoration:underline;">${escapeHtml(text)}</a>`;
    })
    .join(' &#183; ');
}
const footerPlain = (value: string) => value.replaceAll(FOOTER_SEPARATOR, ': ');

/** WCAG 2.x relative luminance of `#rgb` or `#rrggbb`. */
function luminance(hex: string): number {
  const full = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, '$&$&') : hex;
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(full.slice(i, i + 2), 16) / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  }) as [number, number, number];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** WCAG contrast ratio of two colours, 1 to 21. */
export function contrast(a: string, b: string): number {
  const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p) as [number, number];
  return (x + 0.05) / (y + 0.05);
}

const DARK_TEXT = '#111827';

const mix = (hex: string, t: number): string => {
  const full = hex.length === 4 ? hex.replace(/[0-9a-f]/gi, '$&$&') : hex;
  return `#${[1, 3, 5]
    .map((i) => {
      const c = Number.parseInt(full.slice(i, i + 2), 16);
      return Math.round(c + (255 - c) * t)
        .toString(16)
        .padStart(2, '0');
    })
    .join('')}`;
};
const darkVariants = new Map<string, string>();

/**
 * The button colour for dark mode when the host gives none: the brand colour itself when it stands out from
 * the dark card (3:1, WCAG 1.4.11) with readable text (4.5:1), else the least lightened tint that does (a black
 * brand gets a grey button, not an invisible one).
 */
function darkVariant(hex: string): string {
  let variant = darkVariants.get(hex);
  if (variant === undefined) {
    variant = DEFAULT_BRAND_COLOR;
    for (let step = 0; step <= 20; step++) {
      const c = step === 0 ? hex.toLowerCase() : mix(hex, step / 20);
      if (contrast(c, CARD_DARK) >= 3 && contrast(c, textColorOn(c)) >= 4.5) {
        variant = c;
        break;
      }
    }
    if (darkVariants.size < 256) darkVariants.set(hex, variant);
  }
  return variant;
}
const textColors = new Map<string, string>();

/** White or near-black, whichever reads better on the colour; cached. */
export function textColorOn(hex: string): string {
  let color = textColors.get(hex);
  if (color === undefined) {
    color = contrast(hex, '#ffffff') >= contrast(hex, DARK_TEXT) ? '#ffffff' : DARK_TEXT;
    if (textColors.size < 256) textColors.set(hex, color);
  }
  return color;
}

/** Values that depend on the host's configuration and the locale: bound once per configuration. */
export const HOST_SLOTS: ReadonlySet<ValueSlot> = new Set<ValueSlot>([
  'appName',
  'logoUrl',
  'logoDarkUrl',
  'logoWidth',
  'logoHeight',
  'brandColor',
  'brandTextColor',
  'brandColorDark',
  'brandTextColorDark',
  'supportText',
  'footerLinks',
  'notMeUrl',
  'supportUrl',
  'hasPassword',
  'duration',
  'minutes',
  'lang',
  'dir',
  'start',
  'codeSize',
  'codeSpacing',
]);
const HOST_LIST = [...HOST_SLOTS];
const MAX_BOUND_PER_LAYOUT = 16;

/** A layout bound to one configuration's values; its subject too when no per-call value is in it. */
interface Bound extends Prepared {
  /** The subject (and its HTML form) when it holds no per-call slot: no code in it. */
  fixedSubject?: { text: string; html: string };
  /** The HTML with that subject in place, for messages without the code in the subject. */
  htmlWithSubject?: readonly Part[];
}

interface BoundLayouts {
  byKey: Map<string, Bound>;
  /**
   * The last configuration's host values (only those: no code or address is kept), compared value by value
   * before building a key (the common case).
   */
  last?: { host: Values; layout: Bound };
}

/** A copy of the host values: one object literal, so sameHost reads it as fast as the values themselves. */
const hostValues = (v: Values): Values => ({
  appName: v.appName,
  logoUrl: v.logoUrl,
  logoDarkUrl: v.logoDarkUrl,
  logoWidth: v.logoWidth,
  logoHeight: v.logoHeight,
  brandColor: v.brandColor,
  brandTextColor: v.brandTextColor,
  brandColorDark: v.brandColorDark,
  brandTextColorDark: v.brandTextColorDark,
  supportText: v.supportText,
  footerLinks: v.footerLinks,
  notMeUrl: v.notMeUrl,
  supportUrl: v.supportUrl,
  hasPassword: v.hasPassword,
  duration: v.duration,
  minutes: v.minutes,
  lang: v.lang,
  dir: v.dir,
  start: v.start,
  codeSize: v.codeSize,
  codeSpacing: v.codeSpacing,
});

/**
 * Whether two messages' host values (every one of HOST_SLOTS) are the same. Written out, not looped over the
 * names: a keyed read per name cost more than building the key. test/email/fill-cache.test.ts changes each
 * host value alone and checks the layout follows.
 */
const sameHost = (a: Values, b: Values): boolean =>
  a.appName === b.appName &&
  a.logoUrl === b.logoUrl &&
  a.logoDarkUrl === b.logoDarkUrl &&
  a.logoWidth === b.logoWidth &&
  a.logoHeight === b.logoHeight &&
  a.brandColor === b.brandColor &&
  a.brandTextColor === b.brandTextColor &&
  a.brandColorDark === b.brandColorDark &&
  a.brandTextColorDark === b.brandTextColorDark &&
  a.supportText === b.supportText &&
  a.footerLinks === b.footerLinks &&
  a.notMeUrl === b.notMeUrl &&
  a.supportUrl === b.supportUrl &&
  a.hasPassword === b.hasPassword &&
  a.duration === b.duration &&
  a.minutes === b.minutes &&
  a.lang === b.lang &&
  a.dir === b.dir &&
  a.start === b.start &&
  a.codeSize === b.codeSize &&
  a.codeSpacing === b.codeSpacing;
const boundCache = new WeakMap<Prepared, BoundLayouts>();

/** A host value as the HTML part shows it. */
export const hostHtml = (name: ValueSlot, value: string): string =>
  name === 'footerLinks' ? footerHtml(value) : escapeHtml(value);
/** A host value as the text part and the subject show it. */
export const hostText = (name: ValueSlot, value: string): string =>
  name === 'footerLinks' ? footerPlain(value) : value;

function bound(prepared: Prepared, raw: Values): Bound {
  let cache = boundCache.get(prepared);
  if (!cache) {
    cache = { byKey: new Map() };
    boundCache.set(prepared, cache);
  }
  const last = cache.last;
  if (last && sameHost(raw, last.host)) return last.layout;
  let key = '';
  for (const name of HOST_LIST) key += `${raw[name] ?? ''}\u0001`;
  let layout = cache.byKey.get(key);
  if (!layout) {
    layout = bind(prepared, raw);
    // Many configurations at once (a tenant per call): stay bounded, drop the oldest.
    if (cache.byKey.size >= MAX_BOUND_PER_LAYOUT)
      cache.byKey.delete(cache.byKey.keys().next().value as string);
    cache.byKey.set(key, layout);
  }
  cache.last = { host: hostValues(raw), layout };
  return layout;
}

function bind(prepared: Prepared, raw: Values): Bound {
  const escaped: Values = {};
  const plain: Values = {};
  for (const name of HOST_LIST) {
    const value = raw[name];
    if (value === undefined) continue;
    escaped[name] = hostHtml(name, value);
    plain[name] = hostText(name, value);
  }
  const layout: Bound = {
    html: bindSlots(prepared.html, escaped, HOST_SLOTS),
    text: bindSlots(prepared.text, plain, HOST_SLOTS),
    subject: bindSlots(prepared.subject, plain, HOST_SLOTS),
    subjectWithCode: bindSlots(prepared.subjectWithCode, plain, HOST_SLOTS),
  };
  if (layout.subject.every((part) => typeof part === 'string')) {
    const text = fillSlots(layout.subject, {});
    const html = escapeHtml(text);
    layout.fixedSubject = { text, html };
    layout.htmlWithSubject = bindSlots(layout.html, { subject: html }, SUBJECT);
  }
  return layout;
}
const SUBJECT: ReadonlySet<ValueSlot> = new Set<ValueSlot>(['subject']);
const LINE_BREAK = /[\r\n]/;

/**
 * Fills a prepared layout: the subject from raw values, the HTML from escaped ones, the text from raw ones.
 * `linkHtml` is `raw.linkUrl` HTML-escaped, when the caller has it already.
 */
export function fill(
  prepared: Prepared,
  raw: Values,
  codeInSubject: boolean,
  linkHtml?: string,
): { subject: string; html: string; text: string } {
  const b = bound(prepared, raw);
  const fixed = codeInSubject ? undefined : b.fixedSubject;
  const subject = fixed ? fixed.text : fillSlots(codeInSubject ? b.subjectWithCode : b.subject, raw);
  // Every value in the subject is validated single-line; this guards a header against a future mistake.
  if (LINE_BREAK.test(subject)) throw invalidInput(['subject'], 'the subject must be a single line');
  const perCall: Values = {
    subject,
    code: raw.code,
    email: raw.email,
    newEmail: raw.newEmail,
    recipientName: raw.recipientName,
    linkUrl: raw.linkUrl,
  };
  const escaped: Values = {
    subject: fixed ? fixed.html : escapeHtml(subject),
    code: raw.code === undefined ? undefined : escapeHtml(raw.code),
    email: raw.email === undefined ? undefined : escapeHtml(raw.email),
    newEmail: raw.newEmail === undefined ? undefined : escapeHtml(raw.newEmail),
    recipientName: raw.recipientName === undefined ? undefined : escapeHtml(raw.recipientName),
    linkUrl: linkHtml ?? (raw.linkUrl === undefined ? undefined : escapeHtml(raw.linkUrl)),
  };
  const html = fixed ? b.htmlWithSubject! : b.html;
  return { subject, html: fillSlots(html, escaped), text: fillSlots(b.text, perCall) };
}
