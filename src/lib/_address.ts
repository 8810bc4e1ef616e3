// Email address validation tuned for account security, not for RFC 5321 completeness.
//
// Accepted: ASCII dot-atom local parts of letters, digits and . _ + - ' ; a dotted domain of LDH labels
// (internationalised domains in their xn-- form). Rejected, because each is the basis of a known
// parser-confusion or takeover trick: anything non-ASCII (full-width @ U+FF20, Kelvin sign, other
// look-alikes that fold to ASCII in some other component), quoted local parts, comments, encoded words
// (=?..?=), source routes (%, !), lists (, ;), IP literals, control characters and over-long addresses.

export interface EmailAddress {
  /** As typed, with surrounding spaces removed: what is mailed and returned. */
  readonly address: string;
  /** Lower-cased: what binds a challenge and keys the store. */
  readonly normalized: string;
  /** Lower-cased with any +tag removed: keys the per-mailbox send limits, so tags cannot dodge them. */
  readonly mailbox: string;
}

export const MAX_EMAIL_LENGTH = 254; // RFC 5321 §4.5.3.1.3 path limit minus the angle brackets
const MAX_LOCAL_LENGTH = 64; // RFC 5321 §4.5.3.1.1
const LOCAL = /^[A-Za-z0-9_+'-]+(?:\.[A-Za-z0-9_+'-]+)*$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
const TLD = /^(?:[A-Za-z]{2,63}|[Xx][Nn]--[A-Za-z0-9-]{1,59})$/;

// Index loops, not a regex: /^\s+|\s+$/ backtracks quadratically on a long run of blanks (a ReDoS).
function trimBlanks(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s[start] === ' ' || s[start] === '\t')) start++;
  while (end > start && (s[end - 1] === ' ' || s[end - 1] === '\t')) end--;
  return s.slice(start, end);
}

/** Returns the parsed address, or null when `input` is not an acceptable address. */
export function parseEmail(input: unknown): EmailAddress | null {
  if (typeof input !== 'string') return null;
  const address = trimBlanks(input);
  if (address.length === 0 || address.length > MAX_EMAIL_LENGTH) return null;
  const at = address.indexOf('@');
  if (at <= 0 || at !== address.lastIndexOf('@')) return null;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (local.length > MAX_LOCAL_LENGTH || !LOCAL.test(local)) return null;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || !TLD.test(labels[labels.length - 1]!)) {
    return null;
  }
  const normalized = address.toLowerCase();
  const plus = normalized.indexOf('+');
  const mailbox = plus > 0 && plus < at ? normalized.slice(0, plus) + normalized.slice(at) : normalized;
  return { address, normalized, mailbox };
}
