// Extra mail headers a host may configure: safe names, single-line values.
import * as z from 'zod/mini';
import { isHeaderText, lazySchema } from './_schema.js';

// Headers the message's own fields produce. Set through `headers`, one would be sent twice or replace the
// real value; a To, Cc or Bcc would also add a recipient to the SMTP envelope (nodemailer builds the envelope
// from every address header), so a code could reach a second inbox.
const RESERVED = new Set([
  'from',
  'sender',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'in-reply-to',
  'references',
  'mime-version',
  'return-path',
]);
const isReserved = (name: string) => RESERVED.has(name.toLowerCase()) || /^content-/i.test(name);

const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const MAX_VALUE = 998; // RFC 5322 line length

/** What is wrong with one extra header, or null. */
function headerProblem(name: string, value: unknown): string | null {
  if (!HEADER_NAME.test(name)) return 'a header name is letters, digits and "-"';
  if (isReserved(name)) return 'this header comes from the message itself (from, to, subject, ...)';
  if (typeof value !== 'string' || value.length > MAX_VALUE || !isHeaderText(value)) {
    return `a header value must be 1-${MAX_VALUE} characters on one line, without bidi controls or zero-width characters`;
  }
  return null;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A record of extra headers: RFC 5322 line length, one line without bidi controls or zero-width characters,
 * none the message sets itself. Each problem is reported at its header's name. (Checked by hand rather than
 * with z.record, which adds 0.6 kB gzip to the core entry.) The output is a copy of own keys.
 */
export const headersField = lazySchema(() =>
  z.pipe(
    z.custom<Record<string, unknown>>(isRecord, 'headers must be an object of header name to value'),
    // Each value is read once, then checked and copied: a getter cannot pass the check with one value and
    // reach the mail with another.
    z.transform((headers: Record<string, unknown>, ctx) => {
      const out: Record<string, string> = {};
      for (const [name, value] of Object.entries(headers)) {
        const message = headerProblem(name, value);
        // A name that passes is letters, digits and "-": never __proto__.
        if (message === null) out[name] = value as string;
        else ctx.issues.push({ code: 'custom', path: [name], message, input: value });
      }
      return out;
    }),
  ),
);
