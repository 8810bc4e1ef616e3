/// <reference path="./_mjml.d.ts" />
// MJML → HTML with {{slots}} → plain text with {{slots}}. Runs at build time for the built-in layouts and at
// start-up for a host's own (compileTemplate). mjml and html-to-text are imported here lazily, and this module
// is only reachable from the `templates` entry and the build script: never from the core entry.

import type { HtmlToTextOptions } from 'html-to-text';
import { TAG } from '../email/_fill.js';

/**
 * MJML validates colour attributes strictly, so `{{brandColor}}` cannot sit in one. These stand-ins take the
 * slots' place during compilation and are swapped back afterwards.
 */
const BRAND_STAND_INS = {
  brandColor: '#b0a0c1',
  brandTextColor: '#c1b0a0',
  brandColorDark: '#a0c1b0',
  brandTextColorDark: '#c1a0b0',
} as const;

/**
 * Slots that may appear in `style` attributes: strict hex colours, `left`/`right`, `ltr`/`rtl`, pixel sizes
 * and whole numbers, each validated or computed by the library, never free text.
 */
const CSS_SAFE_SLOTS = new Set([
  'brandColor',
  'brandTextColor',
  'brandColorDark',
  'brandTextColorDark',
  'start',
  'dir',
  'codeSize',
  'codeSpacing',
  'logoWidth',
  'logoHeight',
]);
/** Slots that may sit in a <style> block: the dark-mode button colours, strict hex values. */
const STYLE_BLOCK_SLOTS = new Set(['brandColorDark', 'brandTextColorDark']);
/** Slots that may start a URL attribute: validated http(s), https or mailto URLs from configuration. */
const URL_SLOTS = new Set(['linkUrl', 'logoUrl', 'logoDarkUrl', 'notMeUrl', 'supportUrl']);
// Schemes that run or embed content instead of linking to it.
const UNSAFE_SCHEME = /^(?:javascript|data|vbscript|file):/i;
const URL_ATTRIBUTES = new Set(['href', 'src', 'action', 'background', 'poster', 'srcset', 'formaction']);

// Spacer the preheader is followed by, so mail clients do not pad the inbox preview with body text.
const PREHEADER_SPACER = '&#847;&zwnj;&nbsp;'.repeat(40);

export interface CompiledLayout {
  html: string;
  text: string;
}

interface CompileMjmlOptions {
  /** Path of the source, for `<mj-include>` (only honoured when `includes` is true) and messages. */
  filePath?: string;
  /** Resolve `<mj-include>` relative to `filePath` (it reads files). Without it, an include is refused. */
  includes?: boolean;
}

/** Thrown when a source cannot be compiled; `problems` lists every reason. */
export class TemplateCompileError extends Error {
  override readonly name = 'TemplateCompileError';
  constructor(readonly problems: readonly string[]) {
    super(`Cannot compile the email template:\n- ${problems.join('\n- ')}`);
  }
}

/** Compiles MJML with slots into HTML and plain text with the same slots. */
export async function compileMjml(source: string, options: CompileMjmlOptions = {}): Promise<CompiledLayout> {
  let src = source;
  for (const [slot, colour] of Object.entries(BRAND_STAND_INS)) {
    if (src.toLowerCase().includes(colour)) {
      throw new TemplateCompileError([`the colour ${colour} is reserved: it stands in for {{${slot}}}`]);
    }
    src = src.replaceAll(`{{${slot}}}`, colour);
  }
  if (/<mj-include\b/i.test(src) && !(options.includes && options.filePath)) {
    // MJML would drop it silently (a copy of a built-in layout loses its whole <mj-head>): say so instead.
    throw new TemplateCompileError([
      "<mj-include> needs the template's own path to resolve against: pass { filePath } (it is read relative to that file), or inline the included file",
    ]);
  }
  const [{ default: mjml2html }, { convert }] = await Promise.all([import('mjml'), import('html-to-text')]);
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await mjml2html(src, {
      validationLevel: 'strict',
      keepComments: false,
      fonts: {}, // a system font stack: no web-font requests, nothing to load before the code shows
      minify: true,
      minifyOptions: { minifyCss: false }, // our own light CSS squeeze below keeps {{slots}} intact
      ignoreIncludes: !options.includes,
      ...(options.filePath && { filePath: options.filePath }),
    });
  } catch (error) {
    const errors = (error as { errors?: { formattedMessage?: string }[] }).errors;
    throw new TemplateCompileError(
      errors?.length ? errors.map((e) => String(e.formattedMessage)) : [String((error as Error).message)],
    );
  }
  if (result.errors.length) throw new TemplateCompileError(result.errors.map((e) => e.formattedMessage));

  let html = result.html;
  for (const [slot, colour] of Object.entries(BRAND_STAND_INS)) {
    html = html.replace(new RegExp(colour, 'gi'), `{{${slot}}}`);
  }
  // MJML writes left-to-right alignment into every block; make it follow the locale, so RTL is mirrored.
  html = html
    .replace(/direction:ltr/g, 'direction:{{dir}}')
    .replace(/text-align:left/g, 'text-align:{{start}}')
    .replace(/ align="left"/g, ' align="{{start}}"');
  html = squeezeStyles(html).replace(
    /(<div style="display:none;font-size:1px;[^"]*">)([\s\S]*?)(<\/div>)/,
    (_, open: string, preview: string, close: string) => `${open}${preview}${PREHEADER_SPACER}${close}`,
  );
  const problems = checkSlotContexts(html);
  if (problems.length) throw new TemplateCompileError(problems);
  const text = tidyText(convert(html, TEXT_OPTIONS));
  return { html, text };
}

/** html-to-text settings that turn an email layout into a plain-text part that reads well on its own. */
const TEXT_OPTIONS: HtmlToTextOptions = {
  wordwrap: false, // slots are filled later: wrapping now would wrap placeholder lengths, not real text
  formatters: {
    // A logo becomes its alt text (the app name), so the text part starts with who it is from.
    altText(elem, _walk, builder) {
      builder.addInline(String(elem.attribs?.alt ?? ''));
    },
    // A button becomes its URL on a line of its own: the sentence before it already says what it does.
    labelledUrl(elem, _walk, builder) {
      builder.addInline(`${textOf(elem).trim()}: ${String(elem.attribs?.href ?? '')}`, {
        noWordTransform: true,
      });
    },
    // A button without a sentence introducing it (the notice's "This wasn't me") keeps its label too.
    buttonUrl(elem, _walk, builder) {
      const href = String(elem.attribs?.href ?? '');
      builder.openBlock({ leadingLineBreaks: 2 });
      if (!href.includes('{{linkUrl}}')) builder.addInline(`${textOf(elem).trim()}: `);
      builder.addInline(href, { noWordTransform: true });
      builder.closeBlock({ trailingLineBreaks: 2 });
    },
  },
  selectors: [
    { selector: 'img', format: 'altText' },
    { selector: 'div', options: { leadingLineBreaks: 2, trailingLineBreaks: 2 } },
    { selector: 'p', options: { leadingLineBreaks: 2, trailingLineBreaks: 2 } },
    { selector: 'h1', options: { uppercase: false } },
    { selector: 'h2', options: { uppercase: false } },
    { selector: 'h3', options: { uppercase: false } },
    { selector: 'table', format: 'block' },
    { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
    { selector: 'td[role=presentation] > a', format: 'buttonUrl' }, // mj-button
    { selector: 'a.labelled-link', format: 'labelledUrl' }, // "Contact support: mailto:…"
    { selector: 'div[style*="display:none"]', format: 'skip' }, // the preheader
  ],
};

type Node = { type?: string; data?: string; children?: Node[] };
const textOf = (node: Node): string =>
  node.type === 'text' ? (node.data ?? '') : (node.children ?? []).map(textOf).join('');

/**
 * Normalises the text part: no trailing spaces, at most one blank line in a row, and a section tag that
 * starts a line glued to what follows it, so removing the section leaves no stray blank lines.
 */
export function tidyText(text: string): string {
  let out = text.replace(/[ \t\u00a0]+$/gm, '');
  for (let previous = ''; previous !== out; ) {
    previous = out;
    out = out.replace(/^((?:\{\{[#^/]\w+\}\})+)\s+/gm, '$1');
  }
  return `${out.replace(/\n{3,}/g, '\n\n').trim()}\n`;
}

/** Collapses whitespace inside <style> blocks (CSS minification is off so that slots survive). */
function squeezeStyles(html: string): string {
  return html.replace(
    /(<style[^>]*>)([\s\S]*?)(<\/style>)/g,
    (_, open: string, css: string, close: string) => {
      const squeezed = css
        .replace(/\s+/g, ' ')
        .replace(/\s*([{};,>])\s*/g, '$1')
        .replace(/:\s+/g, ':')
        .trim();
      return `${open}${squeezed}${close}`;
    },
  );
}

/**
 * Escaping makes a value safe in a text node or a quoted attribute, and nowhere else. Report any slot that
 * sits elsewhere: in a <style> or <script> block, an unquoted attribute, an event handler, a style attribute
 * (unless it is a brand colour), or at the start of a URL attribute (unless it is a validated URL).
 */
export function checkSlotContexts(html: string): string[] {
  const problems: string[] = [];
  const where = (index: number) => `near "${html.slice(Math.max(0, index - 40), index + 40).trim()}"`;
  for (const block of html.matchAll(/<(style|script)\b[^>]*>([\s\S]*?)<\/\1>/gi)) {
    for (const tag of block[2]?.matchAll(TAG) ?? []) {
      if (block[1]?.toLowerCase() === 'style' && tag[1] === '' && STYLE_BLOCK_SLOTS.has(tag[2] ?? ''))
        continue;
      problems.push(`${tag[0]} is inside a <${block[1]}> block, where escaping cannot protect it`);
    }
  }
  for (const element of html.matchAll(/<[A-Za-z][^<>]*>/g)) {
    let rest = element[0];
    for (const attr of element[0].matchAll(/\s([^\s"'=<>/`]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'=<>`]+)/g)) {
      const [whole, rawName = '', value = ''] = attr;
      rest = rest.replace(whole, ' ');
      const slots = [...value.matchAll(TAG)].map((m) => m[2] ?? '');
      const name = rawName.toLowerCase();
      const inner = value.replace(/^["']|["']$/g, '');
      if (URL_ATTRIBUTES.has(name) && UNSAFE_SCHEME.test(decodeUrlStart(inner))) {
        problems.push(
          `${name}="${inner.slice(0, 40)}" uses a scheme that runs or embeds content; use https:`,
        );
        continue;
      }
      if (!slots.length) continue;
      if (!/^["']/.test(value))
        problems.push(`attribute ${name}=${value} must be quoted ${where(element.index)}`);
      else if (name.startsWith('on')) problems.push(`${value} is in the event handler ${name}`);
      else if (name === 'style' && slots.some((s) => !CSS_SAFE_SLOTS.has(s))) {
        problems.push(
          `only ${[...CSS_SAFE_SLOTS].map((x) => `{{${x}}}`).join(' ')} may appear in a style attribute ${where(element.index)}`,
        );
      } else if (URL_ATTRIBUTES.has(name) && inner.startsWith('{{') && !URL_SLOTS.has(inner.slice(2, -2))) {
        problems.push(
          `${name}="${inner}" must start with a fixed https: or mailto: URL, or be exactly one of ${[...URL_SLOTS].map((x) => `{{${x}}}`).join(' ')}`,
        );
      }
    }
    const stray = rest.match(TAG);
    if (stray)
      problems.push(`${stray[0]} is inside a tag but not in a quoted attribute ${where(element.index)}`);
  }
  return problems;
}

/** The start of a URL attribute as a browser reads it: entities decoded, whitespace and controls dropped. */
function decodeUrlStart(value: string): string {
  return value
    .slice(0, 200)
    .replace(/&#x([0-9a-f]+);?/gi, (_, h: string) => String.fromCodePoint(Number.parseInt(h, 16) % 0x110000))
    .replace(/&#(\d+);?/g, (_, d: string) => String.fromCodePoint(Number(d) % 0x110000))
    .replace(/&colon;/gi, ':')
    .replace(/&tab;|&newline;/gi, '')
    .replace(/[\s\p{Cc}]/gu, '');
}
