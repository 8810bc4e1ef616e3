// The development outbox: every email the demo sends, for /dev/outbox (rendered) and /dev/outbox.json.
import type { MailSender, OutgoingMail } from '../../src/index.js';

export interface OutboxEntry {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** ISO 8601. */
  sentAt: string;
}

const KEEP = 200;

export function createDevOutbox(): MailSender & { readonly entries: readonly OutboxEntry[] } {
  const entries: OutboxEntry[] = [];
  return {
    entries,
    async send(mail: OutgoingMail) {
      entries.push({
        to: mail.to,
        subject: mail.subject,
        text: mail.text,
        html: mail.html,
        sentAt: new Date().toISOString(),
      });
      if (entries.length > KEEP) entries.splice(0, entries.length - KEEP);
    },
  };
}
