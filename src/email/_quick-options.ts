// A fast path in front of messageOptionsSchema (render.ts): the same rules, checked by hand, for options that
// pass them. zod parses the whole option tree in ~3 µs, as long as the rest of an email's render; this takes
// a tenth of that (see "Fast paths" in lib/_schema.ts). What it returns is what zod returns: a copy of the
// options (so a getter cannot show one value to the check and another to the render), `locales` and
// `template` kept by identity.
import {
  FAIL,
  isHeaderText,
  isObject,
  type QuickParse,
  quick,
  quickInt,
  quickStrictObject,
} from '../lib/_schema.js';
import { isCompiledTemplate } from './compiled-template.js';
import {
  brandContrastProblems,
  CONTROL,
  checkedLocales,
  type MessageOptions,
  memo,
  parseUrl,
  urlTemplateOk,
} from './render.js';

// The checks of configuration text are memoised like the URL checks: an app name or support line is the same
// string call after call, and a map lookup costs less than the regular expressions. A person's name is not:
// it would stay in memory after the call.
const headerText = (max: number, { memoise = true } = {}): QuickParse => {
  const ok = memoise ? memo(isHeaderText) : isHeaderText;
  return (v) => (typeof v === 'string' && v.length <= max && ok(v) ? v : FAIL);
};
const oneLine = (max: number): QuickParse => {
  const ok = memo((v) => !CONTROL().test(v) && v.trim() !== '');
  return (v) => (typeof v === 'string' && v.length <= max && ok(v) ? v : FAIL);
};
const string =
  (max: number): QuickParse =>
  (v) =>
    typeof v === 'string' && v.length <= max ? v : FAIL;
const url = (protocols: readonly string[]): QuickParse => {
  const ok = memo((v) => parseUrl(v, protocols) !== null);
  return (v) => (typeof v === 'string' && v.length <= 2048 && ok(v) ? v : FAIL);
};
const boolean: QuickParse = (v) => (typeof v === 'boolean' ? v : FAIL);

const httpsUrl = /* @__PURE__ */ url(['https:']);
const pageUrl = /* @__PURE__ */ url(['https:', 'http:']);
const supportUrl = /* @__PURE__ */ url(['https:', 'mailto:']);
const COLOR = /^#(?:[0-9a-fA-F]{3}){1,2}$/;
const color: QuickParse = (v) => (typeof v === 'string' && COLOR.test(v) ? v : FAIL);

const logo = /* @__PURE__ */ quickStrictObject(
  {
    url: httpsUrl,
    darkUrl: httpsUrl,
    width: /* @__PURE__ */ quickInt(1, 600),
    height: /* @__PURE__ */ quickInt(1, 200),
  },
  ['url', 'width', 'height'],
);
const brandFields = /* @__PURE__ */ quickStrictObject({ logo, primaryColor: color, primaryColorDark: color });
// Keyed by the two colours (a colour never holds a space); the contrast maths runs once per pair.
const contrastOk = /* @__PURE__ */ memo((pair) => {
  const [light, dark] = pair.split(' ');
  return (
    brandContrastProblems({ primaryColor: light || undefined, primaryColorDark: dark || undefined })
      .length === 0
  );
});
const brand: QuickParse = (v) => {
  const out = brandFields(v);
  if (out === FAIL) return FAIL;
  const { primaryColor, primaryColorDark } = out as { primaryColor?: string; primaryColorDark?: string };
  return contrastOk(`${primaryColor ?? ''} ${primaryColorDark ?? ''}`) ? out : FAIL;
};

const footerLink = /* @__PURE__ */ quickStrictObject(
  { text: /* @__PURE__ */ oneLine(100), href: supportUrl },
  ['text', 'href'],
);
const footerLinks: QuickParse = (v) => {
  if (!Array.isArray(v) || v.length > 5) return FAIL;
  const out: unknown[] = [];
  for (let i = 0; i < v.length; i++) {
    const link = footerLink(v[i]);
    if (link === FAIL) return FAIL;
    out.push(link);
  }
  return out;
};

const notice = /* @__PURE__ */ quickStrictObject({ hasPassword: boolean, notMeUrl: pageUrl, supportUrl });
// Locales are checked in full once per object by the schema: only an object it found no problem in passes.
const locales: QuickParse = (v) => (isObject(v) && checkedLocales.get(v)?.length === 0 ? v : FAIL);
const template: QuickParse = (v) => (isCompiledTemplate(v) ? v : FAIL);
const appName = /* @__PURE__ */ headerText(64);
const supportText = /* @__PURE__ */ oneLine(500);
const recipientName = /* @__PURE__ */ headerText(128, { memoise: false });
const locale = /* @__PURE__ */ string(256);
const anyString: QuickParse = (v) => (typeof v === 'string' ? v : FAIL);

/** `link`: `{ urlTemplate }` and nothing else. */
function link(v: unknown): unknown {
  if (!isObject(v)) return FAIL;
  for (const key in v) if (key !== 'urlTemplate') return FAIL;
  const { urlTemplate } = v;
  return typeof urlTemplate === 'string' && urlTemplate.length <= 2048 && urlTemplateOk(urlTemplate)
    ? { urlTemplate }
    : FAIL;
}

const OPTION_KEYS: ReadonlySet<string> = new Set([
  'appName',
  'brand',
  'supportText',
  'footerLinks',
  'link',
  'notice',
  'recipientName',
  'codeInSubject',
  'locale',
  'acceptLanguage',
  'locales',
  'template',
]);

/**
 * The options object, as quickStrictObject would read it, written out field by field: the hot path of every
 * email (4x faster than the generic loop, whose keyed reads and calls cannot be specialised).
 */
function options(v: unknown): unknown {
  if (!isObject(v)) return FAIL;
  for (const key in v) if (!OPTION_KEYS.has(key)) return FAIL;
  // Each value is read once, in the schema's order; an optional one is parsed when given, kept as undefined
  // when present as such (as zod does), else left out.
  const name = appName(v.appName);
  if (name === FAIL) return FAIL;
  const out: Record<string, unknown> = { appName: name };
  let given: unknown;
  let parsed: unknown;
  given = v.brand;
  if (given !== undefined) {
    parsed = brand(given);
    if (parsed === FAIL) return FAIL;
    out.brand = parsed;
  } else if ('brand' in v) out.brand = undefined;
  given = v.supportText;
  if (given !== undefined) {
    parsed = supportText(given);
    if (parsed === FAIL) return FAIL;
    out.supportText = parsed;
  } else if ('supportText' in v) out.supportText = undefined;
  given = v.footerLinks;
  if (given !== undefined) {
    parsed = footerLinks(given);
    if (parsed === FAIL) return FAIL;
    out.footerLinks = parsed;
  } else if ('footerLinks' in v) out.footerLinks = undefined;
  given = v.link;
  if (given !== undefined) {
    parsed = link(given);
    if (parsed === FAIL) return FAIL;
    out.link = parsed;
  } else if ('link' in v) out.link = undefined;
  given = v.notice;
  if (given !== undefined) {
    parsed = notice(given);
    if (parsed === FAIL) return FAIL;
    out.notice = parsed;
  } else if ('notice' in v) out.notice = undefined;
  given = v.recipientName;
  if (given !== undefined) {
    parsed = recipientName(given);
    if (parsed === FAIL) return FAIL;
    out.recipientName = parsed;
  } else if ('recipientName' in v) out.recipientName = undefined;
  given = v.codeInSubject;
  if (given !== undefined) {
    parsed = boolean(given);
    if (parsed === FAIL) return FAIL;
    out.codeInSubject = parsed;
  } else if ('codeInSubject' in v) out.codeInSubject = undefined;
  given = v.locale;
  if (given !== undefined) {
    parsed = locale(given);
    if (parsed === FAIL) return FAIL;
    out.locale = parsed;
  } else if ('locale' in v) out.locale = undefined;
  given = v.acceptLanguage;
  if (given !== undefined) {
    parsed = anyString(given);
    if (parsed === FAIL) return FAIL;
    out.acceptLanguage = parsed;
  } else if ('acceptLanguage' in v) out.acceptLanguage = undefined;
  given = v.locales;
  if (given !== undefined) {
    parsed = locales(given);
    if (parsed === FAIL) return FAIL;
    out.locales = parsed;
  } else if ('locales' in v) out.locales = undefined;
  given = v.template;
  if (given !== undefined) {
    parsed = template(given);
    if (parsed === FAIL) return FAIL;
    out.template = parsed;
  } else if ('template' in v) out.template = undefined;
  return out;
}

/**
 * `messageOptionsSchema`'s output for options it accepts, when this fast path can tell; undefined otherwise
 * (then parse with the schema). Never throws.
 */
export const quickMessageOptions = (value: unknown): MessageOptions | undefined => quick(options, value);
