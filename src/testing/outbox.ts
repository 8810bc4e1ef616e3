import type { MailSender, OutgoingMail } from '../adapters.js';

/** A {@link MailSender} that keeps every message in memory, for tests. */
export interface TestOutbox extends MailSender {
  /** Every message sent, oldest first. */
  readonly messages: readonly OutgoingMail[];
  /** The last message sent to `email` (case-insensitive), if any. */
  last(email: string): OutgoingMail | undefined;
  /** The code in the last message sent to `email`; throws if there is none. */
  lastCode(email: string): string;
  /** Forgets every message. */
  clear(): void;
}

// The built-in layout marks the code's element with data-mc-code; a custom template may not, and then the
// code is the plain-text line that holds nothing else.
const CODE_IN_HTML = /data-mc-code[^>]*>\s*([0-9A-Z]{6,10})\s*</;
const CODE_LINE = /^[ \t]*([0-9A-Z]{6,10})[ \t]*$/m;

/**
 * Finds the code in a rendered message (undefined when there is none): the element marked `data-mc-code` in
 * the HTML, else the plain-text line that holds nothing but a code.
 *
 * @example
 * ```ts
 * import type { MailSender } from 'mailbox-challenge';
 * import { extractCode } from 'mailbox-challenge/testing';
 *
 * const codes = new Map<string, string | undefined>();
 * const sender: MailSender = {
 *   async send(mail) {
 *     codes.set(mail.to, extractCode(mail)); // or mail.code: the raw value rides along
 *   },
 * };
 * ```
 */
export function extractCode(mail: Pick<OutgoingMail, 'html' | 'text'>): string | undefined {
  return CODE_IN_HTML.exec(mail.html)?.[1] ?? CODE_LINE.exec(mail.text)?.[1];
}

/**
 * An in-memory outbox: a real {@link MailSender} whose messages tests can read back, including the code.
 *
 * @example
 * ```ts
 * const outbox = createTestOutbox();
 * const flow = createMailboxFlow({ keys, sender: outbox, appName: 'Test' });
 * const started = await flow.start({ email: 'ada@example.com', purpose: 'login' });
 * const code = outbox.lastCode('ada@example.com');
 * ```
 */
export function createTestOutbox(): TestOutbox {
  const messages: OutgoingMail[] = [];
  const last = (email: string) => messages.findLast((m) => m.to.toLowerCase() === email.trim().toLowerCase());
  return {
    messages,
    async send(mail) {
      messages.push(structuredClone(mail));
    },
    last,
    lastCode(email) {
      const mail = last(email);
      const code = mail && extractCode(mail);
      if (!code) throw new Error(`no code was sent to ${email}`);
      return code;
    },
    clear() {
      messages.length = 0;
    },
  };
}
