import type { MailSender, OutgoingMail } from '../adapters.js';

/** Options of {@link consoleSender}. */
export interface ConsoleSenderOptions {
  /** Where to write; default `console.log`. */
  log?: (line: string) => void;
  /** Also print the HTML part. Default false: the text part shows the code. */
  html?: boolean;
  /** Where the production warning goes; default `console.warn`. */
  warn?: (line: string) => void;
}

const PRODUCTION_WARNING =
  'mailbox-challenge: WARNING: consoleSender is in use with NODE_ENV=production. It prints every sign-in code ' +
  'to the logs instead of emailing it: anyone who can read the logs can sign in as anyone. Use ' +
  'nodemailerSender (mailbox-challenge/nodemailer) or your own MailSender.';

// Read without assuming Node: the core entry also runs where `process` does not exist.
const isProduction = () =>
  (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV ===
  'production';

/**
 * A {@link MailSender} for development: prints each email (recipient, subject, text with the code) to the
 * console instead of sending it. Never use it in production: anyone with the logs can sign in. Under
 * `NODE_ENV=production` it says so on `console.warn` when created and again with every email.
 *
 * @example
 * ```ts
 * const flow = createMailboxFlow({ keys, appName: 'Acme', sender: consoleSender() });
 * ```
 */
export function consoleSender(options: ConsoleSenderOptions = {}): MailSender {
  const log = options.log ?? ((line: string) => console.log(line));
  const warn = options.warn ?? ((line: string) => console.warn(line));
  if (isProduction()) warn(PRODUCTION_WARNING);
  return {
    async send(mail: OutgoingMail) {
      if (isProduction()) warn(PRODUCTION_WARNING);
      const body = options.html ? `${mail.text}\n\n${mail.html}` : mail.text;
      log(
        [
          `┌─ mailbox-challenge: email to ${mail.to} (${mail.purpose}, ${mail.locale})`,
          `│ Subject: ${mail.subject}`,
          '│',
          ...body.split('\n').map((line) => `│ ${line}`),
          '└─',
        ].join('\n'),
      );
    },
  };
}
