// Language negotiation over a set of locales: an explicit tag, then Accept-Language (RFC 9110 §12.5.4), then
// English. A tag matches a locale by its own name or an alias, trying the longest prefix first, so `de-AT`
// finds `de`, `zh-Hant-TW` finds `zh-Hant`, and `zh-TW` finds `zh-Hant` through an alias before `zh` could
// find `zh-Hans`.

// Bounds on what is read of a client header, so a hostile header costs a few microseconds at most.
const MAX_HEADER_CHARS = 1024;
const MAX_RANGES = 32;
// RFC 9110 §12.4.2 qvalue (we also accept a bare "1." / "0." as many clients send).
const QVALUE = /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/;
// RFC 9110 §12.5.4 language-range: `*` or 1-8 letters followed by `-` and 1-8 alphanumerics, repeated.
const RANGE = /^(?:\*|[A-Za-z]{1,8}(?:[-_][A-Za-z0-9]{1,8})*)$/;

export const DEFAULT_LOCALE = 'en';

/** Matches language tags against a fixed set of locales (names and aliases), with a small result cache. */
export class LocaleMatcher {
  readonly #byKey = new Map<string, string>();
  readonly #recent = new Map<string, string>();

  /** @param locales - Each locale's tag and the other tags it answers for. */
  constructor(locales: Iterable<readonly [tag: string, aliases: readonly string[]]>) {
    const aliases: [string, string][] = [];
    for (const [tag, own] of locales) {
      this.#byKey.set(tag.toLowerCase(), tag);
      for (const alias of own) aliases.push([alias.toLowerCase(), tag]);
    }
    // A locale's own name wins over another locale's alias.
    for (const [alias, tag] of aliases) if (!this.#byKey.has(alias)) this.#byKey.set(alias, tag);
  }

  /** The locale a language tag falls back to, or null. `pt-BR` -> `pt-BR`, `pt` -> `pt-BR`, `EN_us` -> `en`. */
  match(tag: string): string | null {
    const trimmed = tag.trim();
    if (!RANGE.test(trimmed) || trimmed === '*') return null;
    const parts = trimmed.toLowerCase().split(/[-_]/);
    for (let n = parts.length; n > 0; n--) {
      const found = this.#byKey.get(parts.slice(0, n).join('-'));
      if (found) return found;
    }
    return null;
  }

  /** An explicit tag when it matches, else the best match in an Accept-Language header, else null. */
  negotiate(locale: unknown, acceptLanguage: unknown): string | null {
    if (typeof locale === 'string') {
      const explicit = this.match(locale);
      if (explicit) return explicit;
    }
    if (typeof acceptLanguage !== 'string') return null;
    let negotiated = this.#recent.get(acceptLanguage);
    if (negotiated === undefined) {
      negotiated = this.#fromHeader(acceptLanguage) ?? '';
      // Browsers send few distinct headers: remember short ones. Cleared when full, so it stays small.
      if (acceptLanguage.length <= 256) {
        if (this.#recent.size >= 512) this.#recent.clear();
        this.#recent.set(acceptLanguage, negotiated);
      }
    }
    return negotiated || null;
  }

  #fromHeader(header: string): string | null {
    let best: string | null = null;
    let bestQ = 0;
    // A single pass keeps the first range of the highest quality: a stable sort without allocating one.
    for (const range of header.slice(0, MAX_HEADER_CHARS).split(',', MAX_RANGES)) {
      const [tag = '', ...params] = range.split(';');
      let q = 1;
      for (const param of params) {
        const [name = '', value = ''] = param.split('=', 2);
        if (name.trim().toLowerCase() !== 'q') continue;
        q = QVALUE.test(value.trim()) ? Number(value.trim()) : Number.NaN;
      }
      if (!(q > bestQ)) continue; // also skips q=0 and malformed q
      const trimmed = tag.trim();
      const match = trimmed === '*' ? DEFAULT_LOCALE : this.match(trimmed);
      if (match) {
        best = match;
        bestQ = q;
      }
    }
    return best;
  }
}
