// Error messages for people: the same negotiation and strings files as the emails, so a German email and the
// German page around the code field speak with one voice.
import type { MailboxChallengeError, MailboxChallengeErrorCode } from '../errors.js';
import { catalogFor, negotiate } from './_catalog.js';
import { ENGLISH } from './_compiled.js';
import type { LocaleCustomization } from './render.js';

/** Options of {@link describeError}. */
export interface DescribeErrorOptions {
  /** An explicit BCP 47 tag (`fr`, `pt-BR`); wins over `acceptLanguage` when it is supported. */
  locale?: string;
  /** The request's `Accept-Language` header; used when `locale` is absent or unsupported. */
  acceptLanguage?: string;
  /**
   * Your own wording, by locale then code: `{ de: { INVALID_CODE: 'Falscher Code.' } }`. A code without an
   * override in the chosen locale keeps the built-in message. Plain text; escape it where you put it in HTML.
   */
  overrides?: Readonly<Record<string, Partial<Readonly<Record<MailboxChallengeErrorCode, string>>>>>;
  /**
   * The flow's `message.locales`, so locales you registered (and `errors` strings you overrode) are used
   * here too. Pass the same, already validated object.
   */
  locales?: Readonly<Record<string, LocaleCustomization>>;
}

/** What {@link describeError} returns. */
export interface ErrorDescription {
  /** The locale the message is written in, for the page's `lang` attribute. */
  locale: string;
  /** Its direction, for the page's `dir` attribute. */
  dir: 'ltr' | 'rtl';
  /** One or two short sentences for the person: what happened and what to do next. Plain text. */
  message: string;
}

/**
 * A message for the person in front of the screen, in their language, for an error code. The `code` stays
 * the contract for programs; this is what a page shows next to the code field. Never throws: an unknown code
 * reads as `INVALID_INPUT`'s message.
 *
 * @param error - A {@link MailboxChallengeErrorCode} or the `MailboxChallengeError` itself.
 * @param options - The locale, as for the emails, and optional per-locale overrides.
 * @returns The chosen locale and the message.
 * @example
 * ```ts
 * import 'mailbox-challenge/locales';
 * import { describeError } from 'mailbox-challenge';
 *
 * const { locale, message } = describeError('INVALID_CODE', { acceptLanguage: 'de-AT,de;q=0.9' });
 * // locale 'de', dir 'ltr', message 'Dieser Code stimmt nicht. Bitte prüfen Sie ihn und versuchen Sie es erneut.'
 * ```
 */
export function describeError(
  error: MailboxChallengeErrorCode | Pick<MailboxChallengeError, 'code'>,
  options: DescribeErrorOptions = {},
): ErrorDescription {
  let key: MailboxChallengeErrorCode = 'INVALID_INPUT';
  try {
    const code: unknown = typeof error === 'string' ? error : error?.code;
    if (typeof code === 'string' && Object.hasOwn(ENGLISH.errors, code))
      key = code as MailboxChallengeErrorCode;
  } catch {
    // a hostile object: keep the neutral message
  }
  try {
    const catalog = catalogFor(options?.locales);
    const locale = negotiate(catalog, options?.locale, options?.acceptLanguage);
    const strings = catalog.strings(locale);
    const own = options?.overrides?.[locale]?.[key];
    const message = typeof own === 'string' && own.trim() !== '' ? own : strings.errors[key];
    if (typeof message === 'string' && message)
      return { locale, dir: strings.dir === 'rtl' ? 'rtl' : 'ltr', message };
  } catch {
    // Never throws (a page is being rendered around an error already): a malformed option reads as English.
  }
  return {
    locale: 'en',
    dir: 'ltr',
    message: ENGLISH.errors[key],
  };
}
