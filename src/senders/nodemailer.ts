import type { MailSender, OutgoingMail } from '../adapters.js';
import { invalidInput } from '../errors.js';
import { parseEmail } from '../lib/_address.js';
import { headersField } from '../lib/_headers.js';
import { emailField, headerTextField, lazySchema, parseInput, textField } from '../lib/_schema.js';
import * as z from '../lib/_zod.js';

/** A mailbox as nodemailer takes it: the display name is encoded by nodemailer, never by string pasting. */
export interface NodemailerAddress {
  /** Display name, e.g. `Acme`; empty for a bare address. */
  name: string;
  address: string;
}

/**
 * The nodemailer message this sender builds for each email (a subset of nodemailer's `Mail.Options`).
 * `mapMail` may change any field or add any other nodemailer field (`attachments`, `dkim`, ...).
 */
export interface NodemailerMailOptions {
  from: string | NodemailerAddress;
  to: string | NodemailerAddress;
  replyTo?: string | NodemailerAddress;
  subject: string;
  text: string;
  html: string;
  headers: Record<string, string>;
  /** Always true unless `mapMail` says otherwise: no part of a message may name a local file to read. */
  disableFileAccess?: boolean;
  /** Always true unless `mapMail` says otherwise: no part of a message may name a URL to fetch. */
  disableUrlAccess?: boolean;
  /** 1: nodemailer (9.1+) refuses to send a code to anyone but its one recipient. */
  maxRecipients?: number;
  [field: string]: unknown;
}

/**
 * What {@link nodemailerSender} needs of a transport: nodemailer's promise form of `sendMail`. A
 * `Transporter` from `nodemailer.createTransport(...)` (6 to 10) fits; so does anything with that method.
 * Declared here rather than imported so the types of this entry never require nodemailer.
 */
export interface NodemailerTransport {
  sendMail(mailOptions: NodemailerMailOptions): Promise<unknown>;
}

/** Options of {@link nodemailerSender}. */
export interface NodemailerSenderOptions {
  /**
   * The sender: `'no-reply@acme.example'`, `'Acme <no-reply@acme.example>'` (quote a name holding `,` `;`
   * `:` or `@`: `'"Acme, Inc." <no-reply@acme.example>'`) or `{ name, address }`. Exactly one address.
   */
  from: string | { name?: string; address: string };
  /** Where replies go (e.g. your support desk), in the same forms as `from`. Default: none. */
  replyTo?: string | { name?: string; address: string };
  /**
   * Extra headers on every email (no CR or LF). The flow's per-message headers (`Auto-Submitted`,
   * `X-Entity-Ref-ID` and the flow's own `headers`) win over these on a clash.
   */
  headers?: Record<string, string>;
  /**
   * Adjusts the nodemailer message of each send, e.g. for a provider's tags or tracking switches.
   * Return the message to send (a changed copy, or `mailOptions` itself after changing it).
   */
  mapMail?: (
    mail: OutgoingMail,
    mailOptions: NodemailerMailOptions,
  ) => NodemailerMailOptions | Promise<NodemailerMailOptions>;
}

// `Name <address>`, `"Name" <address>` or `address`; the address part is checked by parseEmail.
const ANGLE = /^(.*)<([^<>]*)>$/;
// Unquoted, these would make one mailbox read as a list or a group (RFC 5322 §3.4 specials).
const UNQUOTED_NAME = /^[^<>"\\,;:@]*$/;
const QUOTED_NAME = /^"([^"\\]*)"$/;

/** One mailbox, or null when `value` is not exactly one acceptable mailbox. */
function parseMailbox(value: string | { name?: string; address: string }): NodemailerAddress | null {
  if (typeof value !== 'string') {
    const address = parseEmail(value.address);
    return address && { name: (value.name ?? '').trim(), address: address.address };
  }
  const angle = ANGLE.exec(value.trim());
  if (!angle) {
    const address = parseEmail(value);
    return address && { name: '', address: address.address };
  }
  const rawName = angle[1]!.trim();
  const name = QUOTED_NAME.exec(rawName)?.[1] ?? (UNQUOTED_NAME.test(rawName) ? rawName : null);
  const address = parseEmail(angle[2]);
  return name !== null && address ? { name: name.trim(), address: address.address } : null;
}

const mailboxField = lazySchema(() =>
  z.pipe(
    z
      .union([
        textField(320),
        z.strictObject({
          name: z.optional(z.union([headerTextField(128, 'from name'), z.literal('')])),
          address: textField(254),
        }),
      ])
      .check(
        z.refine(
          (v) => parseMailbox(v) !== null,
          'one address: "name@example.com" or "Name <name@example.com>"',
        ),
      ),
    z.transform((v: string | { name?: string; address: string }) => parseMailbox(v)!),
  ),
);

const optionsSchema = lazySchema(() =>
  z.strictObject({
    from: mailboxField(),
    replyTo: z.optional(mailboxField()),
    headers: z.optional(headersField()),
    mapMail: z.optional(
      z.custom<NonNullable<NodemailerSenderOptions['mapMail']>>((v) => typeof v === 'function', 'a function'),
    ),
  }),
);

// Checked again at send time: a host may call `send` itself (e.g. for the email-change notice), and the
// flow's checks are no reason to let a line break or a Bcc through here.
const mailSchema = lazySchema(() =>
  z.object({
    to: emailField(),
    subject: textField(998),
    text: z.string(),
    html: z.string(),
    headers: headersField(),
  }),
);

// RFC 3834 `Auto-Submitted` (set by the flow) stops compliant auto-responders; Exchange and Outlook read
// this header instead ([MS-OXCMAIL] §2.2.3.2.14). Out-of-office replies to a no-reply sender help no one.
const DEFAULT_HEADERS: Readonly<Record<string, string>> = { 'X-Auto-Response-Suppress': 'OOF, AutoReply' };

/** Later layers win; names compare case-insensitively, so a clash never sends a header twice. */
function mergeHeaders(...layers: Array<Record<string, string> | undefined>): Record<string, string> {
  const byName = new Map<string, [string, string]>();
  for (const layer of layers) {
    for (const [name, value] of Object.entries(layer ?? {})) byName.set(name.toLowerCase(), [name, value]);
  }
  return Object.fromEntries(byName.values());
}

/**
 * A {@link MailSender} over a nodemailer transport (SMTP, SES, sendmail, a provider's nodemailer
 * transport). Each email is sent with its text and HTML parts, the flow's headers (`Auto-Submitted`,
 * `X-Entity-Ref-ID`) and transactional defaults: nodemailer may not read a local file or fetch a URL for
 * any part of it (`disableFileAccess`, `disableUrlAccess`); it has exactly one recipient (the address is
 * checked, address headers are refused, and nodemailer 9.1+ enforces `maxRecipients: 1`); and nothing in
 * it asks for open or click tracking. (A provider's account-wide tracking is switched off in the provider, or
 * per message with `mapMail`, as below: a tracked link sends the person through a third party's redirect.)
 *
 * Errors of `sendMail` reject unchanged; the flow answers SEND_FAILED with the error as `cause`. This
 * entry never imports nodemailer: pass a transport you created.
 *
 * @param transport - A nodemailer `Transporter` (`nodemailer.createTransport(...)`), or anything with its
 *   promise-returning `sendMail(mailOptions)`.
 * @param options - `from` (required), and optional `replyTo`, `headers` and `mapMail`.
 * @returns The sender, to pass as the flow's `sender`.
 * @throws MailboxChallengeError `INVALID_INPUT` naming the fields: a transport without `sendMail`, a `from`
 *   or `replyTo` that is not exactly one address or holds a line break, a header with a line break or one
 *   the message sets itself (From, To, Cc, Bcc, Subject, Content-*, ...), an unknown option.
 * @example
 * ```ts
 * import nodemailer from 'nodemailer';
 * import { createMailboxFlow, parseKeys } from 'mailbox-challenge';
 * import { nodemailerSender } from 'mailbox-challenge/nodemailer';
 *
 * const transport = nodemailer.createTransport({ host: 'smtp.acme.example', port: 465, secure: true, auth });
 * const flow = createMailboxFlow({
 *   keys: parseKeys(process.env.MAILBOX_KEYS!),
 *   appName: 'Acme',
 *   sender: nodemailerSender(transport, { from: 'Acme <no-reply@acme.example>', replyTo: 'help@acme.example' }),
 * });
 * ```
 * @example A provider's tags and tracking switches (Mailgun's SMTP headers)
 * ```ts
 * const sender = nodemailerSender(transport, {
 *   from: 'Acme <no-reply@acme.example>',
 *   mapMail: (mail, options) => ({
 *     ...options,
 *     headers: { ...options.headers, 'X-Mailgun-Tag': mail.purpose, 'X-Mailgun-Track': 'no' },
 *   }),
 * });
 * ```
 */
export function nodemailerSender(
  transport: NodemailerTransport,
  options: NodemailerSenderOptions,
): MailSender {
  if (typeof transport?.sendMail !== 'function') {
    throw invalidInput(
      ['transport'],
      'transport must have a sendMail(mailOptions) method, e.g. a nodemailer Transporter',
    );
  }
  const { from, replyTo, headers, mapMail } = parseInput(optionsSchema(), options, 'options');
  const baseHeaders = mergeHeaders(DEFAULT_HEADERS, headers);

  return {
    async send(mail: OutgoingMail) {
      const checked = parseInput(mailSchema(), mail, 'mail');
      // Fresh address objects per send: nodemailer normalises address objects in place, and a mapMail
      // that edits them must not change the next email.
      let mailOptions: NodemailerMailOptions = {
        from: { ...from },
        to: parseEmail(checked.to)!.address,
        ...(replyTo && { replyTo: { ...replyTo } }),
        subject: checked.subject,
        text: checked.text,
        html: checked.html,
        headers: mergeHeaders(baseHeaders, checked.headers),
        disableFileAccess: true,
        disableUrlAccess: true,
        maxRecipients: 1,
      };
      if (mapMail) {
        mailOptions = await mapMail(mail, mailOptions);
        if (typeof mailOptions !== 'object' || mailOptions === null) {
          throw new TypeError('nodemailerSender: mapMail must return the mail options to send');
        }
      }
      await transport.sendMail(mailOptions);
    },
  };
}
