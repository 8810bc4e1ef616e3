// Values built on first use instead of at import: what a module builds when it loads, every cold start pays
// (issue 11), even in an app that never needs it.

/**
 * `build()`, run once on the first call and then remembered. Used for zod schemas (each instance costs a
 * cold start) and for Unicode-property regular expressions: V8 parses a literal such as /\p{L}/u, building
 * its character sets, when it loads the module (about 1 ms for the address check's letters).
 * Marked free of side effects, so a bundler drops the values an entry never uses.
 */
/* @__NO_SIDE_EFFECTS__ */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

/**
 * A regular expression compiled on first use, from its source as a string. For Unicode property classes
 * (`\p{L}`): V8 checks every regex literal when it parses a module, even inside a function not yet called,
 * and for a property class that means building its character sets (~1 ms at a cold start for `\p{L}`).
 */
/* @__NO_SIDE_EFFECTS__ */
export function lazyRegExp(source: string, flags: string): () => RegExp {
  return lazy(() => new RegExp(source, flags));
}
