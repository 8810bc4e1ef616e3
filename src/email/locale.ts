// Locale negotiation for the built-in emails and error messages.
import { catalogFor, negotiate } from './_catalog.js';
import { BUILT_IN_LOCALES, type BuiltInLocale } from './_kinds.js';

/**
 * Every built-in locale, one per file in `templates/locales`. English is always loaded; the others once
 * `import 'mailbox-challenge/locales'` has run.
 */
export const SUPPORTED_LOCALES: readonly BuiltInLocale[] = BUILT_IN_LOCALES;

/** One of {@link SUPPORTED_LOCALES}. */
export type Locale = BuiltInLocale;

/**
 * Chooses the language of an email or message: an explicit `locale` wins when it matches a loaded locale,
 * then the best match in an `Accept-Language` header (by quality value, then by order), then English.
 *
 * Never throws: any string (or a non-string) yields a locale. Ranges with `q=0` are never chosen, `*`
 * means "anything", which is English here. A region or script falls back to the closest locale:
 * `de-AT` → `de`, `zh-TW` and `zh-HK` → `zh-Hant`, `zh` → `zh-Hans`, `pt` → `pt-BR`, `pt-AO` → `pt-PT`.
 *
 * @param locale - An explicit BCP 47 tag such as `fr` or `pt-BR` (e.g. from the person's profile).
 * @param acceptLanguage - The raw `Accept-Language` header of the request.
 * @returns One of {@link SUPPORTED_LOCALES} that is loaded (always `en` without `mailbox-challenge/locales`).
 * @example
 * ```ts
 * import 'mailbox-challenge/locales';
 * import { negotiateLocale } from 'mailbox-challenge';
 *
 * negotiateLocale(undefined, 'fr-CH, fr;q=0.9, en;q=0.8'); // 'fr'
 * negotiateLocale('zh-TW'); // 'zh-Hant'
 * negotiateLocale('xx', 'sw, *;q=0.1'); // 'en'
 * ```
 */
export function negotiateLocale(locale?: string, acceptLanguage?: string): Locale {
  return negotiate(catalogFor(), locale, acceptLanguage) as Locale;
}
