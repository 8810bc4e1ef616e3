// Email address validation tuned for account security, not for RFC 5321 completeness.
//
// Accepted: an ASCII dot-atom local part of letters, digits and . _ + - ' ; a dotted domain of LDH labels,
// or of Unicode labels that are turned into their IDNA (UTS-46) xn-- form. Around the address, every
// Unicode space and zero-width character is trimmed (what copying from a web page or a spreadsheet adds).
//
// Refused, because each is the basis of a known parser-confusion or takeover trick: non-ASCII local parts
// (full-width @ U+FF20, Kelvin sign, other look-alikes that fold to ASCII in some other component; SMTPUTF8
// mailboxes have no portable case rule and many providers cannot deliver to them), Unicode domain labels that
// mix scripts, use compatibility or deviation characters (full-width letters, ß, ς) or are not in NFC,
// quoted local parts, comments, encoded words (=?..?=), source routes (%, !), lists (, ;), IP literals,
// control characters and over-long addresses.

import { lazyRegExp } from './_lazy.js';

/**
 * One parsed address: what mail goes to, what binds a challenge, and which mailbox it reaches.
 * `parseEmail` is the one place these are computed; the flow counts failures and sends per `mailbox`.
 */
interface EmailAddress {
  /**
   * What is mailed, sealed and returned: as typed, trimmed, with a Unicode domain in its IDNA ASCII form
   * (`ada@bücher.example` → `ada@xn--bcher-kva.example`). An ASCII domain keeps its case as typed.
   */
  readonly address: string;
  /** `address` lower-cased: compares a typed address with a sealed one. */
  readonly normalized: string;
  /**
   * The mailbox that receives the mail, for per-mailbox limits: `normalized` with any `+tag` removed, and
   * for Gmail (`gmail.com`, `googlemail.com`) the dots of the local part removed and the domain `gmail.com`,
   * so tags, dots and the alias domain cannot multiply a person's budget.
   */
  readonly mailbox: string;
}

const MAX_EMAIL_LENGTH = 254; // RFC 5321 §4.5.3.1.3 path limit minus the angle brackets
const MAX_LOCAL_LENGTH = 64; // RFC 5321 §4.5.3.1.1
const MAX_INPUT_LENGTH = 1024; // anything longer is refused before any Unicode work
const LOCAL = /^[A-Za-z0-9_+'-]+(?:\.[A-Za-z0-9_+'-]+)*$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^(?:[A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9-]{1,59})$/;
const ASCII = /^[^\u0080-\uffff]*$/;

/** Unicode White_Space, and the zero-width characters that copy-paste carries along. */
function isBlank(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  if (c < 0x85) return false;
  return (
    c === 0x85 || // next line
    c === 0xa0 || // no-break space
    c === 0x1680 ||
    c === 0x180e || // Mongolian vowel separator (was a space until Unicode 6.3)
    (c >= 0x2000 && c <= 0x200d) || // en quad .. hair space, zero-width space, ZWNJ, ZWJ
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f || // narrow no-break space
    c === 0x205f ||
    c === 0x2060 || // word joiner
    c === 0x3000 || // ideographic space
    c === 0xfeff // zero-width no-break space (BOM)
  );
}

// Index loops, not a regex: /^\s+|\s+$/ backtracks quadratically on a long run of blanks (a ReDoS).
function trimBlanks(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isBlank(s.charCodeAt(start))) start++;
  while (end > start && isBlank(s.charCodeAt(end - 1))) end--;
  return s.slice(start, end);
}

// A Unicode label is letters, marks and digits of one script (plus ASCII digits and "-"), as UTS #39's
// "highly restrictive" level, without its Latin + CJK allowance: Latin mixed with anything else is refused.
// Script_Extensions, so a character shared by scripts (the Katakana-Hiragana prolonged sound mark) counts
// for each of them.
const SCRIPTS = [
  'Latn',
  'Grek',
  'Cyrl',
  'Armn',
  'Hebr',
  'Arab',
  'Syrc',
  'Thaa',
  'Deva',
  'Beng',
  'Guru',
  'Gujr',
  'Orya',
  'Taml',
  'Telu',
  'Knda',
  'Mlym',
  'Sinh',
  'Thai',
  'Laoo',
  'Tibt',
  'Mymr',
  'Geor',
  'Ethi',
  'Khmr',
  'Mong',
  'Hani}\\p{scx=Hira}\\p{scx=Kana', // Japanese
  'Hani}\\p{scx=Hang', // Korean
  'Hani}\\p{scx=Bopo', // Chinese
];
// Compiled on the first Unicode label, not at import: building these property classes costs a cold start
// several milliseconds, and most addresses are ASCII.
let scriptSets: RegExp[] | undefined;
const oneScript = (label: string) => {
  scriptSets ??= SCRIPTS.map((s) => new RegExp(`^[0-9\\-\\p{scx=Zinh}\\p{scx=${s}}]+$`, 'u'));
  return scriptSets.some((set) => set.test(label));
};
const LETTERS = lazyRegExp(String.raw`^[\p{L}\p{M}\p{Nd}-]+$`, 'u');
// IDNA2003 and IDNA2008 map these differently (ß → ss or kept), so one typed name names two domains.
const DEVIATION = /[\u00df\u03c2]/;

/** The IDNA ASCII form of one non-ASCII label, or null when the label is refused. */
function unicodeLabel(typed: string): string | null {
  // NFKC fixed point, before and after lower-casing: no compatibility forms (full-width letters, ligatures,
  // the Kelvin sign that lower-cases to ASCII k) that would fold into another name, no decomposed sequences.
  if (typed.normalize('NFKC') !== typed) return null;
  const label = typed.toLowerCase();
  if (label.normalize('NFKC') !== label || ASCII.test(label)) return null;
  if (!LETTERS().test(label) || DEVIATION.test(label)) return null;
  if (!oneScript(label)) return null;
  return toAsciiLabel(label);
}

// The runtime's WHATWG URL parser does the UTS-46 ToASCII (Nontransitional) and Punycode: Node and Deno
// (ada, rust-url), Bun and browsers (ICU), edge workers. The checks above leave it only the encoding, where
// they all agree. A runtime without URL refuses Unicode domains; ASCII ones work everywhere.
function toAsciiLabel(label: string): string | null {
  if (typeof URL !== 'function') return null;
  let host: string;
  try {
    host = new URL(`http://${label}.invalid/`).hostname;
  } catch {
    return null;
  }
  const ascii = host.slice(0, -'.invalid'.length);
  // A label that mapped to plain ASCII or split into several was folded, not encoded.
  return /^xn--[a-z0-9-]+$/.test(ascii) && host.endsWith('.invalid') ? ascii : null;
}

function asciiDomain(domain: string): string | null {
  if (ASCII.test(domain)) return domain;
  if (domain.length > 253) return null;
  const labels = domain.split('.');
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i]!;
    if (ASCII.test(label)) continue;
    const ascii = unicodeLabel(label);
    if (ascii === null) return null;
    labels[i] = ascii;
  }
  return labels.join('.');
}

const GMAIL = new Set(['gmail.com', 'googlemail.com']);

function mailboxOf(local: string, domain: string): string {
  const plus = local.indexOf('+');
  let box = plus > 0 ? local.slice(0, plus) : local; // a leading + is not a tag: the local part would be empty
  if (GMAIL.has(domain)) {
    // Gmail ignores dots; a local part of only dots and a tag keeps its form rather than becoming empty.
    const undotted = box.replaceAll('.', '');
    if (undotted !== '') box = undotted;
    return `${box}@gmail.com`;
  }
  return `${box}@${domain}`;
}

// The last answer: validation and the code after it (create, the flow) ask about the same string in turn.
let lastInput: string | undefined;
let lastResult: EmailAddress | null = null;

/** Returns the parsed address (frozen), or null when `input` is not an acceptable address. */
export function parseEmail(input: unknown): EmailAddress | null {
  if (typeof input !== 'string' || input.length > MAX_INPUT_LENGTH) return null;
  if (input === lastInput) return lastResult;
  lastResult = parse(input);
  lastInput = input;
  return lastResult;
}

function parse(input: string): EmailAddress | null {
  const typed = trimBlanks(input);
  const at = typed.indexOf('@');
  if (at <= 0 || at !== typed.lastIndexOf('@')) return null;
  const local = typed.slice(0, at);
  if (local.length > MAX_LOCAL_LENGTH || !LOCAL.test(local)) return null;
  const domain = asciiDomain(typed.slice(at + 1));
  if (domain === null) return null;
  const address = `${local}@${domain}`;
  if (address.length > MAX_EMAIL_LENGTH) return null;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || !TLD.test(labels[labels.length - 1]!)) {
    return null;
  }
  const normalized = address.toLowerCase();
  return Object.freeze({
    address,
    normalized,
    mailbox: mailboxOf(normalized.slice(0, at), normalized.slice(at + 1)),
  });
}
