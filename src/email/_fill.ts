// The slot language of compiled layouts, shared by the built-in emails and compileTemplate().
//
//   {{name}}            a value, HTML-escaped in the HTML part, as is in the text part
//   {{#name}}…{{/name}} the block is kept when `name` has a value
//   {{^name}}…{{/name}} the block is kept when it has none
//
// Layouts are parsed once into a list of parts; a render is one walk over that list, concatenating strings.

/** Values filled per call or per configuration (never translated strings). */
export const VALUE_SLOTS = [
  'appName',
  'code',
  'email',
  'newEmail',
  'recipientName',
  /** The lifetime in natural units, e.g. "10 minutes", "2 hours", "30 seconds". */
  'duration',
  /** The same text as `duration`, under the name layouts used before hours and seconds existed. */
  'minutes',
  'subject',
  'linkUrl',
  'logoUrl',
  'logoDarkUrl',
  'logoWidth',
  'logoHeight',
  'brandColor',
  'brandTextColor',
  'brandColorDark',
  'brandTextColorDark',
  'supportText',
  /** The footer links, built by the library from `{ text, href }` pairs: HTML links, or text lines. */
  'footerLinks',
  'notMeUrl',
  'supportUrl',
  /** Set (to "1") when the app has passwords: the notice then says to change it. */
  'hasPassword',
  'lang',
  'dir',
  /** `left` for left-to-right locales, `right` for right-to-left ones: where lines start. */
  'start',
  /** The code's font size and letter spacing, by its length, so it stays on one line at 320 px. */
  'codeSize',
  'codeSpacing',
] as const;
export type ValueSlot = (typeof VALUE_SLOTS)[number];

/** Locale strings of the code layout (signup, login, email-change and any other purpose). */
export const CODE_STRING_SLOTS = [
  'preheader',
  'heading',
  'intro',
  'codeLabel',
  'expiry',
  'linkIntro',
  'button',
  'neverShare',
  'ignore',
  'sentTo',
] as const;

/** Locale strings of the notice sent to the old address on an email change. */
export const NOTICE_STRING_SLOTS = [
  'preheader',
  'heading',
  'body',
  'ifYou',
  'ifNotYou',
  'ifNotYouPassword',
  'notMe',
  'support',
  'sentTo',
] as const;

export type Values = Partial<Record<ValueSlot, string>>;

const SLOT = 0;
const SECTION = 1;
interface SlotPart {
  readonly kind: typeof SLOT;
  readonly name: ValueSlot;
}
interface SectionPart {
  readonly kind: typeof SECTION;
  readonly name: ValueSlot;
  readonly inverted: boolean;
  readonly body: readonly Part[];
}
export type Part = string | SlotPart | SectionPart;

/** Matches any slot tag, so a malformed one is reported instead of being sent as text. */
export const TAG = /\{\{\s*([#^/]?)\s*([^{}]*?)\s*\}\}/g;

/**
 * Parses a layout whose string slots are already filled. Throws an Error naming the first problem: an unknown
 * slot, a section left open, or a stray closing tag.
 */
export function parseSlots(source: string, allowed: ReadonlySet<string> = VALUE_SET): Part[] {
  const root: Part[] = [];
  const stack: { name: string; parts: Part[] }[] = [];
  let parts = root;
  let last = 0;
  for (const m of source.matchAll(TAG)) {
    if (m.index > last) push(parts, source.slice(last, m.index));
    last = m.index + m[0].length;
    const [tag, sigil, name = ''] = m;
    if (!allowed.has(name)) throw new Error(`unknown placeholder ${tag}`);
    const slot = name as ValueSlot;
    if (sigil === '') {
      parts.push({ kind: SLOT, name: slot });
    } else if (sigil === '/') {
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`${tag} closes a section that is not open`);
      parts = open.parts;
    } else {
      const body: Part[] = [];
      parts.push({ kind: SECTION, name: slot, inverted: sigil === '^', body });
      stack.push({ name, parts });
      parts = body;
    }
  }
  if (stack.length) throw new Error(`{{#${stack[stack.length - 1]!.name}}} is never closed`);
  if (last < source.length) push(parts, source.slice(last));
  return root;
}

const VALUE_SET: ReadonlySet<string> = new Set(VALUE_SLOTS);

function push(parts: Part[], part: Part): void {
  const i = parts.length - 1;
  if (typeof part === 'string' && typeof parts[i] === 'string') parts[i] += part;
  else if (part !== '') parts.push(part);
}

/** Renders parsed parts with values that are already escaped for the target (HTML or text). */
export function fillSlots(parts: readonly Part[], values: Values): string {
  let out = '';
  for (const part of parts) {
    if (typeof part === 'string') out += part;
    else if (part.kind === SLOT) out += values[part.name] ?? '';
    else if (!values[part.name] === part.inverted) out += fillSlots(part.body, values);
  }
  return out;
}

/**
 * Fills only the slots named in `names` (values already escaped for the target), resolving their sections,
 * and keeps every other slot: a layout specialised for values that stay the same call after call.
 */
export function bindSlots(parts: readonly Part[], values: Values, names: ReadonlySet<string>): Part[] {
  const out: Part[] = [];
  for (const part of parts) {
    if (typeof part === 'string') push(out, part);
    else if (!names.has(part.name)) {
      if (part.kind === SLOT) out.push(part);
      else out.push({ ...part, body: bindSlots(part.body, values, names) });
    } else if (part.kind === SLOT) push(out, values[part.name] ?? '');
    else if (!values[part.name] === part.inverted)
      for (const p of bindSlots(part.body, values, names)) push(out, p);
  }
  return out;
}

/** The names of every slot a source uses (sections included). */
export function slotNames(source: string): Set<string> {
  return new Set([...source.matchAll(TAG)].map((m) => m[2] ?? ''));
}

/**
 * Puts locale strings into their `{{slots}}`, leaving value slots for later. A string's own `{name}`
 * placeholders become `{{name}}` slots. `encode` escapes a string for the target (HTML) or not (text).
 */
export function fillStrings(
  layout: string,
  strings: Readonly<Record<string, string>>,
  encode: (s: string) => string,
  slot: (name: string) => string = (name) => `{{${name}}}`,
): string {
  return layout.replace(TAG, (tag, sigil: string, name: string) =>
    sigil === '' && Object.hasOwn(strings, name)
      ? encode(strings[name]!).replace(/\{(\w+)\}/g, (_, inner: string) => slot(inner))
      : tag,
  );
}
