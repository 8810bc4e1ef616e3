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

const headerText =
  (max: number): QuickParse =>
  (v) =>
    typeof v === 'string' && v.length <= max && isHeaderText(v) ? v : FAIL;
const oneLine =
  (max: number): QuickParse =>
  (v) =>
    typeof v === 'string' && v.length <= max && !CONTROL.test(v) && v.trim() !== '' ? v : FAIL;
const string =
  (max: number): QuickParse =>
  (v) =>
    typeof v === 'string' && v.length <= max ? v : FAIL;
const url = (protocols: readonly string[]): QuickParse => {
  const ok = memo((v) => parseUrl(v, protocols) !== null);
  return (v) => (typeof v === 'string' && v.length <= 2048 && ok(v) ? v : FAIL);
};
const boolean: QuickParse = (v) => (typeof v === 'boolean' ? v : FAIL);

const httpsUrl = url(['https:']);
const pageUrl = url(['https:', 'http:']);
const supportUrl = url(['https:', 'mailto:']);
const COLOR = /^#(?:[0-9a-fA-F]{3}){1,2}$/;
const color: QuickParse = (v) => (typeof v === 'string' && COLOR.test(v) ? v : FAIL);

const logo = quickStrictObject(
  { url: httpsUrl, darkUrl: httpsUrl, width: quickInt(1, 600), height: quickInt(1, 200) },
  ['url', 'width', 'height'],
);
const brandFields = quickStrictObject({ logo, primaryColor: color, primaryColorDark: color });
// Keyed by the two colours (a colour never holds a space); the contrast maths runs once per pair.
const contrastOk = memo((pair) => {
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

const footerLink = quickStrictObject({ text: oneLine(100), href: supportUrl }, ['text', 'href']);
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

const link = quickStrictObject(
  {
    urlTemplate: (v) => (typeof v === 'string' && v.length <= 2048 && urlTemplateOk(v) ? v : FAIL),
  },
  ['urlTemplate'],
);
const notice = quickStrictObject({ hasPassword: boolean, notMeUrl: pageUrl, supportUrl });
// Locales are checked in full once per object by the schema: only an object it found no problem in passes.
const locales: QuickParse = (v) => (isObject(v) && checkedLocales.get(v)?.length === 0 ? v : FAIL);
const template: QuickParse = (v) => (isCompiledTemplate(v) ? v : FAIL);

const options = quickStrictObject(
  {
    appName: headerText(64),
    brand,
    supportText: oneLine(500),
    footerLinks,
    link,
    notice,
    recipientName: headerText(128),
    codeInSubject: boolean,
    locale: string(256),
    acceptLanguage: (v) => (typeof v === 'string' ? v : FAIL),
    locales,
    template,
  },
  ['appName'],
);

/**
 * `messageOptionsSchema`'s output for options it accepts, when this fast path can tell; undefined otherwise
 * (then parse with the schema). Never throws.
 */
export const quickMessageOptions = (value: unknown): MessageOptions | undefined => quick(options, value);
