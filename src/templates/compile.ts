import { ENGLISH } from '../email/_compiled.js';
import { CODE_STRING_SLOTS, fillStrings, parseSlots, slotNames, VALUE_SLOTS } from '../email/_fill.js';
import { type CompiledTemplate, makeCompiledTemplate } from '../email/compiled-template.js';
import { invalidInput } from '../errors.js';
import { compileMjml, TemplateCompileError } from './_compile.js';

/** Options of {@link compileTemplate}. */
export interface CompileTemplateOptions {
  /**
   * Your own subject with the same `{{slots}}`, e.g. `'{{code}} – your {{appName}} code'`. Default: the
   * built-in, translated subject for the purpose (with the code only when `codeInSubject` is set).
   */
  subject?: string;
  /**
   * The template's own path. `<mj-include path="...">` is then resolved relative to it; without it, a
   * template with `<mj-include>` is refused (MJML would drop the include without a word).
   */
  filePath?: string;
}

const MAX_SOURCE_CHARS = 1_000_000;
// Gmail clips messages over 102 kB; leave room for the values filled in per call.
const MAX_HTML_BYTES = 96_000;
const ALLOWED = new Set<string>([...VALUE_SLOTS, ...CODE_STRING_SLOTS]);

/**
 * Compiles your own MJML layout for the code email, once, at start-up. The result is a plain object to pass
 * as `message.template`; every send then only fills it, exactly like the built-in layout (no MJML per call).
 *
 * Use the built-in slots: values `{{appName}} {{code}} {{email}} {{duration}} {{subject}} {{linkUrl}}
 * {{logoUrl}} {{brandColor}} {{brandTextColor}} {{supportText}} {{footerLinks}} {{recipientName}} {{lang}}
 * {{dir}} {{start}}` (see templates/README.md for all) and translated strings
 * `{{preheader}} {{heading}} {{intro}} {{codeLabel}} {{expiry}} {{linkIntro}} {{button}} {{neverShare}}
 * {{ignore}} {{sentTo}}`; `{{#linkUrl}}…{{/linkUrl}}` keeps a block only when a value is set and
 * `{{^logoUrl}}…{{/logoUrl}}` only when it is not. Every value is HTML-escaped when filled, so a slot may sit
 * only in text or in a quoted attribute; colour slots may sit in colour attributes. `mjml` and `html-to-text`
 * are loaded here, on first use, and never by the core entry.
 *
 * @param mjml - The MJML source. `<mj-include>` is resolved relative to `options.filePath`, or refused.
 * @param options - An optional subject of your own, and the template's path for `<mj-include>`.
 * @returns A compiled template for `message.template`.
 * @throws MailboxChallengeError `INVALID_INPUT` (fields `['template']` or `['subject']`) listing every problem:
 *   MJML validation errors, unknown or misplaced slots, a missing `{{code}}`, an HTML part too large for Gmail.
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { compileTemplate } from 'mailbox-challenge/templates';
 *
 * const filePath = 'emails/code.mjml';
 * const template = await compileTemplate(await readFile(filePath, 'utf8'), { filePath });
 * const flow = createMailboxFlow({ keys, sender, appName: 'Acme', message: { template } });
 * ```
 */
export async function compileTemplate(
  mjml: string,
  options: CompileTemplateOptions = {},
): Promise<CompiledTemplate> {
  if (typeof mjml !== 'string' || mjml.trim() === '' || mjml.length > MAX_SOURCE_CHARS) {
    throw invalidInput(['template'], 'template must be an MJML source of at most 1,000,000 characters');
  }
  const subject = options?.subject ?? null;
  if (subject !== null) checkSubject(subject);

  let compiled: { html: string; text: string };
  try {
    compiled = await compileMjml(
      mjml,
      options?.filePath ? { filePath: options.filePath, includes: true } : {},
    );
  } catch (error) {
    if (error instanceof TemplateCompileError) throw invalidInput(['template'], error.message);
    throw error;
  }
  // Without <mjml lang="{{lang}}" dir="{{dir}}">, MJML writes "und" and "auto": fill them per locale anyway.
  const html = compiled.html
    .replace(/ lang="und"/g, ' lang="{{lang}}"')
    .replace(/ dir="auto"/g, ' dir="{{dir}}"');

  const problems: string[] = [];
  for (const [part, source] of [
    ['HTML', html],
    ['text', compiled.text],
  ] as const) {
    for (const name of slotNames(source))
      if (!ALLOWED.has(name)) problems.push(`unknown slot {{${name}}} in the ${part}`);
    try {
      const en = ENGLISH;
      const filled = fillStrings(source, { ...en.common, ...en.login }, String);
      parseSlots(filled);
      if (!slotNames(filled).has('code')) problems.push(`the ${part} part never shows {{code}}`);
    } catch (error) {
      problems.push(`${(error as Error).message} in the ${part}`);
    }
  }
  const bytes = new TextEncoder().encode(html).length;
  if (bytes > MAX_HTML_BYTES) {
    problems.push(`the HTML is ${bytes} bytes; keep it under ${MAX_HTML_BYTES} so Gmail does not clip it`);
  }
  if (problems.length)
    throw invalidInput(
      ['template'],
      `Cannot use the email template:\n- ${[...new Set(problems)].join('\n- ')}`,
    );
  return makeCompiledTemplate(html, compiled.text, subject);
}

function checkSubject(subject: string): void {
  const fail = (why: string) => invalidInput(['subject'], `subject ${why}`);
  if (typeof subject !== 'string' || subject.trim() === '' || subject.length > 200) {
    throw fail('must be 1-200 characters');
  }
  if (/[\p{Cc}\u2028\u2029]/u.test(subject)) throw fail('must be one line without control characters');
  for (const name of slotNames(subject)) {
    if (name === 'subject' || !(VALUE_SLOTS as readonly string[]).includes(name)) {
      throw fail(`may use value slots only, not {{${name}}}`);
    }
  }
  try {
    parseSlots(subject);
  } catch (error) {
    throw fail((error as Error).message);
  }
}
