import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PURPOSE_KINDS } from '../../src/email/_kinds.js';
import {
  type CreateMailboxChallengeInput,
  createMailboxChallenge,
  generateKey,
  type MessageOptions,
  SUPPORTED_LOCALES,
} from '../../src/index.js';

export const ROOT = join(import.meta.dirname, '../..');
export const keys = [generateKey('test')];
export const NOW = Date.UTC(2026, 0, 15, 12);
export const LOCALES = SUPPORTED_LOCALES;
/** The purposes with their own wording (from the generated list), and one that gets the neutral wording. */
export const PURPOSES = [...PURPOSE_KINDS.filter((k) => k !== 'default'), 'password-reset'];
export const GMAIL_CLIP_BYTES = 102_400;

/** The strings of a locale, straight from templates/locales (what a reader of the email should see). */
export function localeStrings(locale: string): Record<string, Record<string, string>> {
  return JSON.parse(readFileSync(join(ROOT, 'templates/locales', `${locale}.json`), 'utf8'));
}

/** Creates a challenge with a message and returns it with its code. */
export function createWithMessage(
  message: MessageOptions,
  input: Partial<Omit<CreateMailboxChallengeInput, 'message'>> = {},
) {
  const created = createMailboxChallenge(
    { email: 'ada@example.com', purpose: 'login', ...input, message },
    { keys, now: () => NOW },
  );
  if (!created.message) throw new Error('expected a message');
  return { ...created, message: created.message };
}

/** HTML-escapes like the library does, to predict where a value shows up. */
export const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"'`]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '`': '&#96;' })[c]!,
  );

/** Leftover placeholders: `{{slot}}` tags or a locale string's `{name}`. */
export const LEFTOVER = /\{\{|\}\}|\{(?:appName|code|minutes|email|newEmail|n|challengeId)\}/;

/** The HTML without its <style> blocks, whose CSS braces (`}}` closes a media query) are not placeholders. */
export const withoutStyles = (html: string) => html.replace(/<style[^>]*>[\s\S]*?<\/style>/g, '');

/**
 * The structure of an HTML document: every tag with its attribute names, in order, ignoring attribute values
 * and text. Injected markup in a value (a tag, an attribute, an event handler) changes it.
 */
export function skeleton(html: string): string[] {
  const withoutComments = html.replace(/<!--[\s\S]*?-->/g, '');
  return [
    ...withoutComments.matchAll(
      /<(\/?[A-Za-z][A-Za-z0-9-]*)((?:\s+[^\s"'=<>/]+(?:\s*=\s*"[^"]*")?)*)\s*\/?>/g,
    ),
  ].map(
    ([, name, attrs = '']) =>
      `${name}(${[...attrs.matchAll(/\s([^\s"'=<>/]+)(?:\s*=\s*"[^"]*")?/g)].map((a) => a[1]).join(',')})`,
  );
}

/** Every tag-like thing in the HTML, so a test can see it was all parsed by {@link skeleton}. */
export const tagCount = (html: string) => html.replace(/<!--[\s\S]*?-->/g, '').match(/</g)?.length ?? 0;
