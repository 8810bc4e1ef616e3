// Extra mail headers a host may configure: safe names, single-line values.
import * as z from 'zod/mini';
import { headerTextField, lazySchema } from './_schema.js';

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

const headerName = lazySchema(() =>
  z.string().check(
    z.regex(/^[A-Za-z0-9-]{1,64}$/, 'a header name is letters, digits and "-"'),
    z.refine(
      (name) => !isReserved(name),
      'this header comes from the message itself (from, to, subject, ...)',
    ),
  ),
);
/**
 * A record of extra headers: RFC 5322 line length, one line without bidi controls or zero-width characters,
 * none the message sets itself.
 */
export const headersField = lazySchema(() => z.record(headerName(), headerTextField(998, 'a header value')));
