// The email that carries a code: every option a host configures, their validation, and the per-call render.
import * as z from 'zod/mini';
import { lazyRegExp } from '../lib/_lazy.js';
import { headerTextField, intField, lazySchema, oneOf, safeParse } from '../lib/_schema.js';
import { builtInStrings, type Catalog, catalogFor, negotiate } from './_catalog.js';
import { ENGLISH } from './_compiled.js';
import { escapeHtml } from './_escape.js';
import { PURPOSE_KINDS, type PurposeKind } from './_kinds.js';
import {
  CARD_DARK,
  CARD_LIGHT,
  contrast,
  DEFAULT_BRAND_COLOR,
  durationText,
  fill,
  type HostValues,
  messageValues,
  preparedCode,
  textColorOn,
} from './_prepare.js';
import { checkLocaleStrings, type LocaleStrings, TAG } from './_strings.js';

export type { CodeMessageStrings, LocaleStrings, NoticeStrings, PluralForms } from './_strings.js';

import { type CompiledTemplate, isCompiledTemplate } from './compiled-template.js';

/** One locale's host text and string overrides, or a new locale: an entry of `MessageOptions.locales`. */
export interface LocaleCustomization {
  /**
   * For a locale that is not built in: the built-in locale that supplies every string you leave out (e.g.
   * `de` for `de-CH`). Without it, a new locale must give every string.
   */
  extends?: string;
  /** Text direction of a new locale. Default: that of `extends`, else `ltr`. */
  dir?: 'ltr' | 'rtl';
  /** Any built-in strings to replace, in the shape of `templates/locales/en.json`. Plain text. */
  strings?: LocaleStringOverrides;
  /** The footer's support line in this locale (wins over the top-level `supportText`). */
  supportText?: string;
  /** The footer's links in this locale (win over the top-level `footerLinks`). */
  footerLinks?: readonly FooterLink[];
}

/** A link in the footer: its text and an `https:` or `mailto:` URL. Never raw HTML. */
export interface FooterLink {
  text: string;
  href: string;
}

/** Strings to replace: any subset of a locale file's sections and keys. */
export type LocaleStringOverrides = {
  [K in keyof LocaleStrings]?: LocaleStrings[K] extends string | readonly string[]
    ? LocaleStrings[K]
    : { [L in keyof LocaleStrings[K]]?: LocaleStrings[K][L] extends string ? string : LocaleStrings[K][L] };
};

/** Your logo: shown at exactly `width` × `height` CSS pixels at the top of every email. */
export interface LogoOptions {
  /** An `https:` URL of the image (PNG or JPEG: SVG does not show in Gmail or Outlook). */
  url: string;
  /** An `https:` URL of a variant for dark backgrounds, shown by clients that support dark mode. */
  darkUrl?: string;
  /** Display width in CSS pixels, 1-600. Serve the image at twice this size for sharp screens. */
  width: number;
  /** Display height in CSS pixels, 1-200. */
  height: number;
}

/** Your brand in the built-in layouts. */
export interface BrandOptions {
  /** Without a logo, `appName` is shown as text. */
  logo?: LogoOptions;
  /**
   * The button colour, `#rgb` or `#rrggbb`. Default `#2563eb`. Button text is white or near-black, whichever
   * reads better; the colour is refused (INVALID_INPUT naming the pair) unless that text has 4.5:1 contrast
   * on it and it has 3:1 against the white card.
   */
  primaryColor?: string;
  /**
   * The button colour in dark mode, held to the same rules against the dark card `#1c1c21`. Default:
   * `primaryColor` when it passes there, else the least lightened tint of it that does.
   */
  primaryColorDark?: string;
}

/** The notice sent to the old address on an email change. */
export interface NoticeOptions {
  /** Your app has passwords: "if this was not you" then says to change it. Default false. */
  hasPassword?: boolean;
  /** An `https:` page where the person reports "this wasn't me" (e.g. one that freezes the change). */
  notMeUrl?: string;
  /** An `https:` or `mailto:` URL for the "Contact support" link. */
  supportUrl?: string;
}

/**
 * How the emails look and read: every option a host configures. The `message` input of
 * `createMailboxChallenge` and of `createMailboxFlow` (which passes it through).
 */
export interface MessageOptions {
  /** Your product's name, shown in the subject, heading and text. 1-64 characters, no line breaks. */
  appName: string;
  /** An explicit BCP 47 tag (`fr`, `pt-BR`); wins over `acceptLanguage` when it matches a loaded locale. */
  locale?: string;
  /** The request's `Accept-Language` header; used when `locale` is absent or unsupported. */
  acceptLanguage?: string;
  brand?: BrandOptions;
  /** One plain-text line for the footer in any locale, e.g. "Questions? Write to help@acme.example". Up to 500 characters. */
  supportText?: string;
  /** Links for the footer in any locale (at most 5): `{ text, href }` with an `https:` or `mailto:` href. */
  footerLinks?: readonly FooterLink[];
  /**
   * Your words, per locale tag: overrides of any built-in string, the support line and footer links in that
   * language, or a whole new locale (which Accept-Language then picks). Checked once at start-up.
   */
  locales?: Readonly<Record<string, LocaleCustomization>>;
  /**
   * A one-click link for the same device. `urlTemplate` is an absolute `http(s)` URL from your configuration
   * (never build it from a request's Host header) containing `{challengeId}` and/or `{code}`, and optionally
   * `{email}` and `{purpose}` (so the landing page knows which check it is); each is percent-encoded when filled, e.g. `https://acme.example/verify?c={challengeId}&k={code}`.
   */
  link?: { urlTemplate: string };
  /**
   * Put the code in the subject ("123456 is your Acme sign-in code"). Default false: subjects show on lock
   * screens and in notification previews, where anyone nearby can read them.
   */
  codeInSubject?: boolean;
  /** Your own layout from `compileTemplate()` (`mailbox-challenge/templates`) instead of the built-in one. */
  template?: CompiledTemplate;
  /** The notice to the old address on an email change. */
  notice?: NoticeOptions;
  /** The person's name, when you know it: returned as `recipientName` for your own templates. */
  recipientName?: string;
}

/** What may change per call (per tenant, per person) over a flow's {@link MessageOptions}. */
export type PerCallMessageOptions = Partial<
  Pick<
    MessageOptions,
    | 'appName'
    | 'brand'
    | 'supportText'
    | 'footerLinks'
    | 'link'
    | 'notice'
    | 'recipientName'
    | 'codeInSubject'
  >
>;

/** A rendered email, ready for any mail provider, with the raw values for hosts' own templates. */
export interface RenderedMessage {
  /** One line, never containing CR or LF. */
  subject: string;
  html: string;
  text: string;
  /** The locale it is written in (a built-in one, or one of `message.locales`). */
  locale: string;
  /** The code, for a code email. */
  code?: string;
  /** When the code stops working, epoch milliseconds (a code email, when known). */
  expiresAt?: number;
  /** The one-click link, when `link` is configured. */
  link?: string;
  /** `recipientName`, when given. */
  recipientName?: string;
}

// RFC 3986 characters: anything else (spaces, quotes, angle brackets, backslashes) is refused, not encoded,
// so a URL in an email is exactly the one configured.
const URL_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const LINK_PLACEHOLDER = /\{(challengeId|code|email|purpose)\}/g;

/** Memoises a string check: options are usually the same few strings, call after call. */
export function memo(check: (value: string) => boolean): (value: string) => boolean {
  const seen = new Map<string, boolean>();
  return (value) => {
    let ok = seen.get(value);
    if (ok === undefined) {
      ok = check(value);
      if (seen.size >= 256) seen.clear();
      seen.set(value, ok);
    }
    return ok;
  };
}

export function parseUrl(value: string, protocols: readonly string[]): URL | null {
  if (!URL_CHARS.test(value)) return null;
  try {
    const url = new URL(value);
    if (!protocols.includes(url.protocol) || url.username || url.password) return null;
    return url.protocol === 'mailto:'
      ? /^[^@]+@[^@]+$/.test(url.pathname)
        ? url
        : null
      : url.hostname
        ? url
        : null;
  } catch {
    return null;
  }
}

const urlField = (protocols: readonly string[], what: string) =>
  z.string().check(
    z.maxLength(2048),
    z.refine(
      memo((v) => parseUrl(v, protocols) !== null),
      `${what} must be an absolute ${protocols.join(' or ')} URL without credentials`,
    ),
  );
const httpsUrl = lazySchema(() => urlField(['https:'], 'the URL'));
const pageUrl = lazySchema(() => urlField(['https:', 'http:'], 'the URL'));
const supportUrl = lazySchema(() => urlField(['https:', 'mailto:'], 'the URL'));

// Goes into CSS unescaped (escaping cannot protect CSS), hence this exact shape and nothing else.
const colorField = lazySchema(() =>
  z.string().check(z.regex(/^#(?:[0-9a-fA-F]{3}){1,2}$/, 'a colour is #rgb or #rrggbb')),
);

const ratio = (n: number) => `${(Math.floor(n * 100) / 100).toFixed(2)}:1`;

/** The contrast problems of a brand: each names the colour pair that fails. */
export function brandContrastProblems(brand: {
  primaryColor?: string;
  primaryColorDark?: string;
}): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  const light = (brand.primaryColor ?? DEFAULT_BRAND_COLOR).toLowerCase();
  const modes = [{ mode: 'light', color: light, card: CARD_LIGHT, path: 'primaryColor' }];
  // Without a dark colour of its own, dark mode gets a tint of the light one that passes (darkVariant).
  if (brand.primaryColorDark) {
    modes.push({
      mode: 'dark',
      color: brand.primaryColorDark.toLowerCase(),
      card: CARD_DARK,
      path: 'primaryColorDark',
    });
  }
  for (const { mode, color, card, path } of modes) {
    const text = textColorOn(color);
    const onButton = contrast(color, text);
    if (onButton < 4.5) {
      problems.push({
        path,
        message: `button text ${text} on ${color} is ${ratio(onButton)} in ${mode} mode; text needs 4.5:1`,
      });
    }
    const onCard = contrast(color, card);
    if (onCard < 3) {
      problems.push({
        path,
        message: `the button ${color} on the ${mode} card ${card} is ${ratio(onCard)}; a button needs 3:1`,
      });
    }
  }
  return problems;
}

const logoField = lazySchema(() =>
  z.strictObject({
    url: httpsUrl(),
    darkUrl: z.optional(httpsUrl()),
    width: intField(1, 600),
    height: intField(1, 200),
  }),
);

const brandField = lazySchema(() =>
  z
    .strictObject({
      logo: z.optional(logoField()),
      primaryColor: z.optional(colorField()),
      primaryColorDark: z.optional(colorField()),
    })
    .check(
      z.superRefine((brand, ctx) => {
        for (const p of brandContrastProblems(brand))
          ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
      }),
    ),
);

/** The problem with a link template, or null when it is fine. */
function urlTemplateProblem(template: string): string | null {
  if (!/\{(?:challengeId|code)\}/.test(template)) return 'urlTemplate must contain {challengeId} or {code}';
  const a = parseUrl(template.replace(LINK_PLACEHOLDER, 'a'), ['http:', 'https:']);
  const b = parseUrl(template.replace(LINK_PLACEHOLDER, 'b'), ['http:', 'https:']);
  if (!a || !b) {
    return 'urlTemplate must be an absolute http(s) URL; only {challengeId}, {code}, {email} and {purpose} may be in braces';
  }
  if (a.origin !== b.origin) return 'placeholders may not be in the scheme, host or port of urlTemplate';
  return null;
}
export const urlTemplateOk = memo((template) => urlTemplateProblem(template) === null);

const urlTemplateField = lazySchema(() =>
  z.string().check(
    z.maxLength(2048),
    z.superRefine((template, ctx) => {
      if (!urlTemplateOk(template)) ctx.addIssue({ code: 'custom', message: urlTemplateProblem(template)! });
    }),
  ),
);

const localeField = lazySchema(() => z.optional(z.string().check(z.maxLength(256))));
const acceptLanguageField = lazySchema(() => z.optional(z.string())); // any header: negotiation reads a bounded prefix
// C0, DEL and C1 controls and the Unicode line and paragraph separators: nothing that breaks a line.
export const CONTROL = lazyRegExp(String.raw`[\p{Cc}\u2028\u2029]`, 'u');
const oneLine = (max: number, what: string) =>
  z.string().check(
    z.maxLength(max),
    z.refine((v) => !CONTROL().test(v) && v.trim() !== '', `${what} must be 1-${max} characters on one line`),
  );
// appName and the recipient's name reach the subject or the To header: the core's one rule for header text.
const appNameField = lazySchema(() => headerTextField(64, 'appName'));
const supportTextField = lazySchema(() => oneLine(500, 'supportText'));
const footerLinksField = lazySchema(() =>
  z
    .array(z.strictObject({ text: oneLine(100, 'a footer link text'), href: supportUrl() }))
    .check(z.maxLength(5)),
);
const noticeField = lazySchema(() =>
  z.strictObject({
    hasPassword: z.optional(z.boolean()),
    notMeUrl: z.optional(pageUrl()),
    supportUrl: z.optional(supportUrl()),
  }),
);

const customizationField = lazySchema(() =>
  z.strictObject({
    extends: z.optional(z.string().check(z.maxLength(35))),
    dir: z.optional(oneOf(['ltr', 'rtl'])),
    strings: z.optional(
      z.custom<Record<string, unknown>>(
        (v) => typeof v === 'object' && v !== null && !Array.isArray(v),
        'strings must be an object',
      ),
    ),
    supportText: z.optional(supportTextField()),
    footerLinks: z.optional(footerLinksField()),
  }),
);

// A host's locales are checked in full once per object (they are configuration, passed again on every call).
export const checkedLocales = new WeakMap<object, { path: (string | number)[]; message: string }[]>();

function localesProblems(locales: Record<string, z.output<ReturnType<typeof customizationField>>>) {
  const problems: { path: (string | number)[]; message: string }[] = [];
  const tags = Object.keys(locales);
  if (tags.length > 100) problems.push({ path: [], message: 'at most 100 locales' });
  for (const tag of tags.slice(0, 100)) {
    const custom = locales[tag]!;
    if (!TAG.test(tag) || tag.length > 35) {
      problems.push({ path: [tag], message: `"${tag}" is not a language tag such as de, pt-BR or de-CH` });
      continue;
    }
    const builtIn = builtInStrings(tag);
    if (custom.extends !== undefined && (builtIn || !builtInStrings(custom.extends))) {
      problems.push({
        path: [tag, 'extends'],
        message: builtIn
          ? `${tag} is built in: its strings are overridden directly, extends is for new locales`
          : `"${custom.extends}" is not a loaded built-in locale (import 'mailbox-challenge/locales' first)`,
      });
      continue;
    }
    const strings = custom.strings ?? {};
    const complete = !builtIn && custom.extends === undefined;
    const candidate = complete ? { name: tag, aliases: [], dir: custom.dir ?? 'ltr', ...strings } : strings;
    const found = checkLocaleStrings(tag, candidate, ENGLISH, { mode: complete ? 'exact' : 'partial' });
    for (const message of found.slice(0, 10)) {
      problems.push({ path: [tag, 'strings'], message: message.replace(`${tag}: `, '') });
    }
  }
  return problems;
}

// z.any() passes the host's object through as is: its identity keys the caches of checked locales, resolved
// strings and prepared layouts, so options parsed again on every call cost a WeakMap lookup, not a re-check.
const localesField = lazySchema(
  () =>
    z.any().check(
      z.superRefine((locales: unknown, ctx) => {
        if (typeof locales !== 'object' || locales === null || Array.isArray(locales)) {
          ctx.addIssue({
            code: 'custom',
            message: 'locales must be an object of language tag to locale options',
          });
          return;
        }
        let problems = checkedLocales.get(locales);
        if (!problems) {
          problems = [];
          const entries = Object.entries(locales as Record<string, unknown>);
          for (const [tag, custom] of entries) {
            const parsed = safeParse(customizationField(), custom);
            if (!parsed.success) {
              for (const i of parsed.error.issues) {
                const keys = i.code === 'unrecognized_keys' ? i.keys.map((k) => [k]) : [[]];
                for (const k of keys)
                  problems.push({ path: [tag, ...i.path.map(String), ...k], message: i.message });
              }
            }
          }
          if (!problems.length)
            problems = localesProblems(
              locales as Record<string, z.output<ReturnType<typeof customizationField>>>,
            );
          checkedLocales.set(locales, problems);
        }
        // A copy of each path: zod prefixes an issue's path in place as it bubbles up, and these are cached.
        for (const p of problems) ctx.addIssue({ code: 'custom', path: [...p.path], message: p.message });
      }),
    ) as unknown as z.ZodMiniType<Readonly<Record<string, LocaleCustomization>>>,
);

const recipientNameField = lazySchema(() => headerTextField(128, 'recipientName'));
const linkField = lazySchema(() => z.strictObject({ urlTemplate: urlTemplateField() }));

const perCallShape = () => ({
  appName: z.optional(appNameField()),
  brand: z.optional(brandField()),
  supportText: z.optional(supportTextField()),
  footerLinks: z.optional(footerLinksField()),
  link: z.optional(linkField()),
  notice: z.optional(noticeField()),
  recipientName: z.optional(recipientNameField()),
  codeInSubject: z.optional(z.boolean()),
});

/** Validates {@link MessageOptions}; unknown keys are rejected. */
export const messageOptionsSchema = lazySchema(
  (): z.ZodMiniType<MessageOptions> =>
    z.strictObject({
      ...perCallShape(),
      appName: appNameField(),
      locale: localeField(),
      acceptLanguage: acceptLanguageField(),
      locales: z.optional(localesField()),
      template: z.optional(
        z.custom<CompiledTemplate>(isCompiledTemplate, 'template must come from compileTemplate()'),
      ),
    }),
);

/** Validates {@link PerCallMessageOptions} (e.g. `flow.start({ message })`); unknown keys are rejected. */
export const perCallMessageOptionsSchema = lazySchema(
  (): z.ZodMiniType<PerCallMessageOptions> => z.strictObject(perCallShape()),
);

/**
 * A flow's options with one call's over them: `brand`, `link` and `footerLinks` are replaced as a whole,
 * `notice` field by field. Both must be validated already; the result needs no further check.
 */
export function mergeMessageOptions(base: MessageOptions, perCall?: PerCallMessageOptions): MessageOptions {
  if (!perCall) return base;
  const merged: MessageOptions = { ...base };
  for (const [key, value] of Object.entries(perCall)) {
    if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
  }
  if (perCall.notice && base.notice) merged.notice = { ...base.notice, ...perCall.notice };
  return merged;
}

type LinkValues = { challengeId: string; code: string; email: string; purpose: string };
/** A template split once: even indexes are literal text, odd ones placeholder names; and the text escaped. */
const linkParts = new Map<string, { parts: string[]; html: string[] }>();
// Characters encodeURIComponent leaves alone: a value made only of them needs no encoding (codes, ids).
const URL_SAFE = /^[A-Za-z0-9\-_.!~*'()]*$/;

/**
 * Fills a link template; every value is percent-encoded, so none can change the URL's structure. Returns
 * the URL and its HTML-escaped form, made from the template's text escaped once and each value escaped
 * (escaping is per character, so this is the URL escaped as a whole, without rescanning the template).
 */
function fillLinkTemplate(template: string, values: LinkValues): { url: string; html: string } {
  let split = linkParts.get(template);
  if (!split) {
    const parts = template.split(/\{(challengeId|code|email|purpose)\}/);
    split = { parts, html: parts.map((part, i) => (i % 2 === 0 ? escapeHtml(part) : part)) };
    if (linkParts.size >= 256) linkParts.clear();
    linkParts.set(template, split);
  }
  const { parts, html: escaped } = split;
  let url = parts[0]!;
  let html = escaped[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const raw = values[parts[i] as keyof LinkValues];
    const value = URL_SAFE.test(raw) ? raw : encodeURIComponent(raw);
    url += value + parts[i + 1];
    // Of the characters either leaves, only ' is special in HTML: most values (ids, codes) skip the escape.
    html += (value.includes("'") ? escapeHtml(value) : value) + escaped[i + 1];
  }
  return { url, html };
}

const KINDS: ReadonlySet<string> = new Set(PURPOSE_KINDS);
/** The wording a purpose reads in: its own section of the strings files, or `default`. */
const purposeKindOf = (purpose: string): PurposeKind =>
  KINDS.has(purpose) ? (purpose as PurposeKind) : 'default';

/** The locale, its strings and the host's values in it, for options already validated. */
export function resolveMessage(options: MessageOptions): {
  catalog: Catalog;
  locale: string;
  host: HostValues;
} {
  const catalog = catalogFor(options.locales);
  const locale = negotiate(catalog, options.locale, options.acceptLanguage);
  const own = catalog.custom(locale);
  return {
    catalog,
    locale,
    host: {
      appName: options.appName,
      logo: options.brand?.logo,
      brandColor: options.brand?.primaryColor,
      brandColorDark: options.brand?.primaryColorDark,
      supportText: own?.supportText ?? options.supportText,
      footerLinks: own?.footerLinks ?? options.footerLinks,
      notMeUrl: options.notice?.notMeUrl,
      supportUrl: options.notice?.supportUrl,
      hasPassword: options.notice?.hasPassword,
    },
  };
}

/**
 * Renders the email that carries a code, from options already validated by {@link messageOptionsSchema()}.
 * Pure and fast: layouts were compiled at build time; this fills cached, half-filled layouts.
 *
 * @param args.purpose - Purposes with a section in the strings files (`signup`, `login`, `email-change`)
 *   have their own wording; others read neutrally.
 * @param args.ttlSeconds - The lifetime, stated in natural units and never more than is left.
 * @param args.expiresAt - Epoch milliseconds, returned as is for your own templates.
 * @returns Subject, HTML, plain text, the locale chosen and the raw values.
 * @example
 * ```ts
 * import 'mailbox-challenge/locales';
 *
 * const message = renderChallengeMessage({
 *   purpose: 'login', code: '482913', email: 'ada@example.com', challengeId: 'c1', ttlSeconds: 600,
 *   options: { appName: 'Acme', acceptLanguage: 'de-CH,de;q=0.9' },
 * });
 * message.subject; // 'Ihr Anmeldecode für Acme' (German, from the header)
 * ```
 */
export function renderChallengeMessage(args: {
  purpose: string;
  code: string;
  email: string;
  challengeId: string;
  ttlSeconds: number;
  expiresAt?: number;
  options: MessageOptions;
}): RenderedMessage {
  return renderResolved(args, resolveMessage(args.options));
}

/** {@link renderChallengeMessage} for options already resolved (the flow resolves once per start). */
export function renderResolved(
  args: Parameters<typeof renderChallengeMessage>[0],
  resolved: ReturnType<typeof resolveMessage>,
): RenderedMessage {
  const { options } = args;
  const { catalog, locale, host } = resolved;
  const strings = catalog.strings(locale);
  const link = options.link ? fillLinkTemplate(options.link.urlTemplate, args) : undefined;
  const filled = fill(
    preparedCode(strings, purposeKindOf(args.purpose), options.template),
    messageValues(locale, strings.dir, host, {
      code: args.code,
      email: args.email,
      duration: durationText(locale, strings.units, args.ttlSeconds),
      linkUrl: link?.url,
      recipientName: options.recipientName,
    }),
    options.codeInSubject === true,
    link?.html,
  );
  const message: RenderedMessage = {
    subject: filled.subject,
    html: filled.html,
    text: filled.text,
    locale,
    code: args.code,
  };
  // Set, not spread in: a spread copies through a temporary object on every call.
  if (args.expiresAt !== undefined) message.expiresAt = args.expiresAt;
  if (link !== undefined) message.link = link.url;
  if (options.recipientName !== undefined) message.recipientName = options.recipientName;
  return message;
}
