import type { MailSender, OutgoingMail } from '../adapters.js';

/** Options of {@link consoleSender}. */
export interface ConsoleSenderOptions {
  /** Where to write; default `console.log`. */
  log?: (line: string) => void;
  /** Also print the HTML part. Default false: the text part shows the code. */
  html?: boolean;
}

/**
 * A {@link MailSender} for development: prints each email (recipient, subject, text with the code) to the
 * console instead of sending it. Never use it in production: anyone with the logs can sign in.
 *
 * @example
 * ```ts
 * const flow = createMailboxFlow({ keys, appName: 'Acme', sender: consoleSender() });
 * ```
 */
export function consoleSender(options: ConsoleSenderOptions = {}): MailSender {
  const log = options.log ?? ((line: string) => console.log(line));
  return {
    async send(mail: OutgoingMail) {
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
