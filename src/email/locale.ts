// Locale negotiation for the built-in emails. Only primary languages are shipped, so a region or script
// subtag never changes the answer (`de-CH` → `de`, `zh-Hant-TW` → `zh`); English is the fallback.

/** The locales the built-in emails are translated into. */
export const SUPPORTED_LOCALES = ['en', 'es', 'fr', 'de', 'it', 'pt', 'nl', 'pl', 'ja', 'zh'] as const;

/** One of {@link SUPPORTED_LOCALES}. */
export type Locale = (typeof SUPPORTED_LOCALES)[number];

export const DEFAULT_LOCALE: Locale = 'en';

const SUPPORTED: ReadonlySet<string> = new Set(SUPPORTED_LOCALES);

// Bounds on what is read of a client header, so a hostile header costs a few microseconds at most.
const MAX_HEADER_CHARS = 1024;
const MAX_RANGES = 32;
// RFC 9110 §12.4.2 qvalue (we also accept a bare "1." / "0." as many clients send).
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;
// RFC 9110 §12.5.4 language-range: `*` or 1-8 letters followed by `-` and 1-8 alphanumerics, repeated.
const RANGE = /^(?:\*|[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*)$/;

/** The supported locale a language tag falls back to, or null. `pt-BR` → `pt`, `EN_us` → `en`. */
export function matchLocale(tag: string): Locale | null {
  const trimmed = tag.trim();
  if (!RANGE.test(trimmed) || trimmed === '*') return null;
  const primary = trimmed.split(/[-_]/, 1)[0]!.toLowerCase();
  return SUPPORTED.has(primary) ? (primary as Locale) : null;
}

/**
 * Chooses the language of an email: an explicit `locale` wins when it is supported, then the best match in
 * an `Accept-Language` header (by quality value, then by order), then English.
 *
 * Never throws: any string (or a non-string) yields a locale. Ranges with `q=0` are never chosen, `*`
 * means "anything", which is English here, and a region or script subtag falls back to its language.
 *
 * @param locale - An explicit BCP 47 tag such as `fr` or `pt-BR` (e.g. from the person's profile).
 * @param acceptLanguage - The raw `Accept-Language` header of the request.
 * @returns One of {@link SUPPORTED_LOCALES}.
 * @example
 * ```ts
 * negotiateLocale(undefined, 'fr-CH, fr;q=0.9, en;q=0.8'); // 'fr'
 * negotiateLocale('de-AT'); // 'de'
 * negotiateLocale('xx', 'da, *;q=0.1'); // 'en'
 * ```
 */
export function negotiateLocale(locale?: string, acceptLanguage?: string): Locale {
  if (typeof locale === 'string') {
    const explicit = matchLocale(locale);
    if (explicit) return explicit;
  }
  if (typeof acceptLanguage === 'string') {
    let negotiated = recent.get(acceptLanguage);
    if (negotiated === undefined) {
      negotiated = fromAcceptLanguage(acceptLanguage) ?? DEFAULT_LOCALE;
      // Browsers send few distinct headers: remember short ones. Cleared when full, so it stays small.
      if (acceptLanguage.length <= 256) {
        if (recent.size >= 512) recent.clear();
        recent.set(acceptLanguage, negotiated);
      }
    }
    return negotiated;
  }
  return DEFAULT_LOCALE;
}

const recent = new Map<string, Locale>();

function fromAcceptLanguage(header: string): Locale | null {
  let best: Locale | null = null;
  let bestQ = 0;
  // A single pass keeps the first range of the highest quality: a stable sort without allocating one.
  const ranges = header.slice(0, MAX_HEADER_CHARS).split(',', MAX_RANGES);
  for (const range of ranges) {
    const [tag = '', ...params] = range.split(';');
    let q = 1;
    for (const param of params) {
      const [name = '', value = ''] = param.split('=', 2);
      if (name.trim().toLowerCase() !== 'q') continue;
      q = QVALUE.test(value.trim()) ? Number(value.trim()) : Number.NaN;
    }
    if (!(q > bestQ)) continue; // also skips q=0 and malformed q
    const trimmed = tag.trim();
    const match = trimmed === '*' ? DEFAULT_LOCALE : matchLocale(trimmed);
    if (match) {
      best = match;
      bestQ = q;
    }
  }
  return best;
}
