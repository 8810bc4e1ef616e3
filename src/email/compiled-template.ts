// The compiled form of a host's own layout: what `compileTemplate()` returns and `message.template` takes.
const TEMPLATE_FORMAT = 'mailbox-challenge/template@1';

/**
 * A host's own email layout, compiled once by `compileTemplate()` from `mailbox-challenge/templates`.
 * Pass it as `message.template`; its slots are filled exactly like the built-in layout's.
 */
export interface CompiledTemplate {
  /** Identifies the object as a compiled template (and its format version). */
  readonly format: typeof TEMPLATE_FORMAT;
  /** HTML with `{{slots}}`. */
  readonly html: string;
  /** Plain text with `{{slots}}`. */
  readonly text: string;
  /** A subject with `{{slots}}`, or null to use the built-in, translated subject. */
  readonly subject: string | null;
}

export function makeCompiledTemplate(html: string, text: string, subject: string | null): CompiledTemplate {
  return Object.freeze({ format: TEMPLATE_FORMAT, html, text, subject });
}

export function isCompiledTemplate(value: unknown): value is CompiledTemplate {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Partial<CompiledTemplate>;
  return (
    t.format === TEMPLATE_FORMAT &&
    typeof t.html === 'string' &&
    typeof t.text === 'string' &&
    (t.subject === null || typeof t.subject === 'string')
  );
}
