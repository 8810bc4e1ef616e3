// The email that carries a code: options, their validation, and the per-call render.
import { z } from 'zod';
import { fill, messageValues, minutesText, preparedCode, ttlMinutes } from './_render.js';
import { codeKindOf } from './_strings.js';
import { type CompiledTemplate, isCompiledTemplate } from './_template.js';
import { type Locale, negotiateLocale } from './locale.js';

/** How the email carrying the code looks and reads. The `message` input of `createMailboxChallenge`. */
export interface MessageOptions {
  /** Your product's name, shown in the subject, heading and text. 1-64 characters, no line breaks. */
  appName: string;
  /** An explicit BCP 47 tag (`fr`, `pt-BR`); wins over `acceptLanguage` when it is supported. */
  locale?: string;
  /** The request's `Accept-Language` header; used when `locale` is absent or unsupported. */
  acceptLanguage?: string;
  brand?: {
    /** An `https:` URL of your logo, shown 40 px high at the top. Without one, `appName` is shown as text. */
    logoUrl?: string;
    /** The button colour, `#rgb` or `#rrggbb`. Default `#2563eb`. Button text is black or white for contrast. */
    primaryColor?: string;
  };
  /** One plain-text line for the footer, e.g. "Questions? Write to help@acme.example". Up to 500 characters. */
  supportText?: string;
  /**
   * A one-click link for the same device. `urlTemplate` is an absolute `http(s)` URL from your configuration
   * (never build it from a request's Host header) containing `{challengeId}` and/or `{code}`, and optionally
   * `{email}`; each is percent-encoded when filled, e.g. `https://acme.example/verify?c={challengeId}&k={code}`.
   */
  link?: { urlTemplate: string };
  /**
   * Put the code in the subject ("123456 is your Acme sign-in code"). Default false: subjects show on lock
   * screens and in notification previews, where anyone nearby can read them.
   */
  codeInSubject?: boolean;
  /** Your own layout from `compileTemplate()` (`mailbox-challenge/templates`) instead of the built-in one. */
  template?: CompiledTemplate;
}

/** A rendered email, ready for any mail provider. */
export interface RenderedMessage {
  /** One line, never containing CR or LF. */
  subject: string;
  html: string;
  text: string;
  /** The locale it is written in: one of `SUPPORTED_LOCALES`. */
  locale: Locale;
}

// RFC 3986 characters: anything else (spaces, quotes, angle brackets, backslashes) is refused, not encoded,
// so a URL in an email is exactly the one configured.
const URL_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/;
const LINK_PLACEHOLDER = /\{(challengeId|code|email)\}/g;

/** Memoises a string check: options are usually the same few strings, call after call. */
function memo(check: (value: string) => boolean): (value: string) => boolean {
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

function parseUrl(value: string, protocols: readonly string[]): URL | null {
  if (!URL_CHARS.test(value)) return null;
  try {
    const url = new URL(value);
    const ok = protocols.includes(url.protocol) && url.hostname !== '' && !url.username && !url.password;
    return ok ? url : null;
  } catch {
    return null;
  }
}

export const logoUrlField = z
  .string()
  .max(2048)
  .refine(
    memo((v) => parseUrl(v, ['https:']) !== null),
    'logoUrl must be an https: URL without credentials',
  );

export const brandField = z
  .object({
    logoUrl: logoUrlField.optional(),
    // Goes into CSS unescaped (escaping cannot protect CSS), hence this exact shape and nothing else.
    primaryColor: z
      .string()
      .regex(/^#(?:[0-9a-fA-F]{3}){1,2}$/, 'primaryColor must be #rgb or #rrggbb')
      .optional(),
  })
  .strict();

/** The problem with a link template, or null when it is fine. */
function urlTemplateProblem(template: string): string | null {
  if (!/\{(?:challengeId|code)\}/.test(template)) return 'urlTemplate must contain {challengeId} or {code}';
  const a = parseUrl(template.replace(LINK_PLACEHOLDER, 'a'), ['http:', 'https:']);
  const b = parseUrl(template.replace(LINK_PLACEHOLDER, 'b'), ['http:', 'https:']);
  if (!a || !b) {
    return 'urlTemplate must be an absolute http(s) URL; only {challengeId}, {code} and {email} may be in braces';
  }
  if (a.origin !== b.origin) return 'placeholders may not be in the scheme, host or port of urlTemplate';
  return null;
}
const urlTemplateOk = memo((template) => urlTemplateProblem(template) === null);

const urlTemplateField = z
  .string()
  .max(2048)
  .superRefine((template, ctx) => {
    if (!urlTemplateOk(template)) ctx.addIssue({ code: 'custom', message: urlTemplateProblem(template)! });
  });

export const localeField = z.string().max(256).optional();
export const acceptLanguageField = z.string().optional(); // any header: negotiation reads a bounded prefix
// C0, DEL and C1 controls and the Unicode line and paragraph separators: nothing that breaks a line.
const CONTROL = /[\p{Cc}\u2028\u2029]/u;
const oneLine = (max: number, what: string) =>
  z
    .string()
    .max(max)
    .refine((v) => !CONTROL.test(v) && v.trim() !== '', `${what} must be 1-${max} characters on one line`);
export const appNameField = oneLine(64, 'appName');
export const supportTextField = oneLine(500, 'supportText');

/** Validates {@link MessageOptions}; unknown keys are rejected. */
export const messageOptionsSchema: z.ZodType<MessageOptions> = z
  .object({
    appName: appNameField,
    locale: localeField,
    acceptLanguage: acceptLanguageField,
    brand: brandField.optional(),
    supportText: supportTextField.optional(),
    link: z.object({ urlTemplate: urlTemplateField }).strict().optional(),
    codeInSubject: z.boolean().optional(),
    template: z
      .custom<CompiledTemplate>(isCompiledTemplate, 'template must come from compileTemplate()')
      .optional(),
  })
  .strict();

type LinkValues = { challengeId: string; code: string; email: string };
const linkParts = new Map<string, string[]>();
// Characters encodeURIComponent leaves alone: a value made only of them needs no encoding (codes, ids).
const URL_SAFE = /^[A-Za-z0-9\-_.!~*'()]*$/;

/** Fills a link template; every value is percent-encoded, so none can change the URL's structure. */
export function fillLinkTemplate(template: string, values: LinkValues): string {
  // Split once per template: even indexes are literal text, odd ones placeholder names.
  let parts = linkParts.get(template);
  if (!parts) {
    parts = template.split(/\{(challengeId|code|email)\}/);
    if (linkParts.size >= 256) linkParts.clear();
    linkParts.set(template, parts);
  }
  let url = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const value = values[parts[i] as keyof LinkValues];
    url += (URL_SAFE.test(value) ? value : encodeURIComponent(value)) + parts[i + 1];
  }
  return url;
}

/**
 * Renders the email that carries a code, from options already validated by {@link messageOptionsSchema}.
 * Pure and fast: layouts were compiled at build time; this fills cached, half-filled layouts.
 *
 * @param args.purpose - `signup`, `login` and `email-change` have their own wording; others read neutrally.
 * @param args.ttlSeconds - The lifetime, stated in whole minutes (rounded down, at least 1).
 * @returns Subject, HTML, plain text and the locale chosen.
 * @example
 * ```ts
 * const message = renderChallengeMessage({
 *   purpose: 'login', code: '482913', email: 'ada@example.com', challengeId, ttlSeconds: 600,
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
  options: MessageOptions;
}): RenderedMessage {
  const { options } = args;
  const locale = negotiateLocale(options.locale, options.acceptLanguage);
  const prepared = preparedCode(locale, codeKindOf(args.purpose), options.template);
  return fill(
    locale,
    prepared,
    messageValues(locale, options, {
      code: args.code,
      email: args.email,
      minutes: minutesText(locale, ttlMinutes(args.ttlSeconds)),
      linkUrl: options.link ? fillLinkTemplate(options.link.urlTemplate, args) : undefined,
    }),
    options.codeInSubject === true,
  );
}
