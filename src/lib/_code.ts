// One-time codes: uniform over the alphabet by rejection sampling, so no digit is likelier than another.

import type { CodeAlphabet } from '../types.js';

// Crockford base32: no I, L, O or U, so a code cannot be misread or spell most words.
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const DIGITS = '0123456789';
// 250 = 25 * 10 is the largest multiple of 10 below 256: bytes >= 250 are rejected to avoid modulo bias.
const DIGIT_LIMIT = 250;

/** Random bytes to draw per code so a redraw is almost never needed (P < 1e-9 for 10 digits). */
export const codeBytesFor = (alphabet: CodeAlphabet, length: number): number =>
  alphabet === 'base32' ? length : 2 * length;

/**
 * Builds a code from `pool`. Returns null when the pool runs out (the caller draws more and retries).
 * Base32 uses the low 5 bits of each byte, which is exact since 256 is a multiple of 32.
 */
export function codeFromBytes(
  alphabet: CodeAlphabet,
  length: number,
  pool: Uint8Array,
  start = 0,
): string | null {
  let code = '';
  for (let i = start; i < pool.length && code.length < length; i++) {
    const b = pool[i]!;
    if (alphabet === 'base32') code += CROCKFORD[b & 31]!;
    else if (b < DIGIT_LIMIT) code += DIGITS[b % 10]!;
  }
  return code.length === length ? code : null;
}

const CROCKFORD_ALIASES: Record<string, string> = { O: '0', I: '1', L: '1' };

/**
 * Characters dropped from a typed code, wherever they are: what keyboards, phones and mail clients put
 * between the characters of a code. Spaces (any Unicode space, NBSP, narrow NBSP, thin space), hyphens and
 * dashes (hyphen-minus, soft hyphen, hyphen, non-breaking hyphen, figure dash, en dash, em dash, minus
 * sign) and zero-width characters (ZWSP, ZWNJ, ZWJ, word joiner, BOM).
 */
const SEPARATORS = /[\s\-\u00ad\u180e\u200b-\u200d\u2010-\u2014\u2060\u2212]+/g;
// Full-width forms U+FF01-FF5E are ASCII U+0021-007E shifted by 0xFEE0 (CJK keyboards type these).
const FULL_WIDTH = /[\uff01-\uff5e]/g;
const fromFullWidth = (c: string) => String.fromCharCode(c.charCodeAt(0) - 0xfee0);
const DIGITS_ONLY = /^[0-9]+$/;

/**
 * Canonical form of a code as typed: full-width forms folded to ASCII, separators dropped (see
 * `SEPARATORS`); base32 upper-cased with Crockford's aliases (O→0, I/L→1). Returns null when the result is
 * not a code of this alphabet and length: any other character is refused, never guessed at.
 */
export function normalizeCode(input: string, alphabet: CodeAlphabet, length: number): string | null {
  if (input.length > 64) return null;
  if (alphabet === 'digits' && input.length === length && DIGITS_ONLY.test(input)) return input; // as typed, mostly
  let code = input.replace(FULL_WIDTH, fromFullWidth).replace(SEPARATORS, '');
  if (code.length !== length) return null;
  if (alphabet === 'digits') return DIGITS_ONLY.test(code) ? code : null;
  // ASCII first: toUpperCase maps 'ß' to 'SS' and dotless 'ı' to 'I', which would change length or alias.
  if (!/^[0-9A-Za-z]+$/.test(code)) return null;
  code = code.toUpperCase().replace(/[OIL]/g, (c) => CROCKFORD_ALIASES[c]!);
  for (const c of code) if (!CROCKFORD.includes(c)) return null;
  return code;
}

export const alphabetSize = (alphabet: CodeAlphabet): number => (alphabet === 'base32' ? 32 : 10);
