import type { FlowStep, StepReply } from './flow/_state.js';

export type {
  ChallengeEntry,
  FlowStep,
  MailboxRecord,
  PurposeState,
  StepLimits,
  StepReply,
} from './flow/_state.js';

/**
 * Where the flow keeps its state: one small record per mailbox, changed by one atomic step per request.
 *
 * The contract, for anyone writing a store (see README, "Bring your own store"):
 * - **Atomic.** `step` reads the record under `key`, applies the step, writes the result and answers, as
 *   one indivisible operation across every process sharing the store. Run the rules with `applyStep`
 *   (exported from the core entry) inside your atomic section, or build the store from a compare-and-set
 *   primitive with `compareAndSetStore`. Never reimplement the rules: the conformance suite checks them.
 * - **The flow owns the clock.** Every step carries `now` (epoch ms of the flow's clock); the store never
 *   reads its own clock for a decision. It may drop a record after `applyStep`'s `expiresAt` (set it as a
 *   relative TTL, `expiresAt - step.now` ms, so clocks need not agree), never before.
 * - **Missing is not fresh.** A record the store lost (evicted, flushed, restarted) must read as missing,
 *   never as a different record; the rules then fail closed for every challenge it held.
 * - **Values.** Keys are ASCII (`mc:m:` + 22 base64url characters) and hold no address, code or secret.
 *   Records are JSON-safe objects of a few hundred bytes (`encodeRecord` / `decodeRecord` for text stores).
 * - **Failures.** Reject (or time out) on any failure: the flow answers STORE_UNAVAILABLE, never `ok: true`.
 */
export interface ChallengeStore {
  /**
   * Applies one flow step atomically to the record under `key` and returns the step's reply: a promise,
   * or the reply itself from an in-process store (the flow then needs no timeout for it).
   */
  step(key: string, step: FlowStep): StepReply | Promise<StepReply>;
}

/** One email, rendered and ready for any provider, with the raw values for hosts' own templates. */
export interface OutgoingMail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers for the provider to set (no CR or LF in any value). */
  headers: Record<string, string>;
  /** `challenge` (also when absent) carries a code; `email-change-notice` goes to the old address on an email change. */
  kind?: 'challenge' | 'email-change-notice';
  /** The challenge's id; for a notice, a random id of the notice. */
  challengeId: string;
  purpose: string;
  /** The negotiated locale of the message, e.g. `de`. */
  locale: string;
  /** The code (challenge emails only), for hosts that render with their own template engine. */
  code?: string;
  /** Epoch milliseconds when the code stops working (challenge emails only). */
  expiresAt?: number;
  /** The one-click link, when the flow is configured with one. */
  link?: string;
  /** The recipient's name, when the host gave one (`message.recipientName`). */
  recipientName?: string;
  /** For a notice: the new address the account is moving to. */
  newEmail?: string;
}

/** Delivers a rendered email. Throwing (or rejecting) makes the flow answer SEND_FAILED. */
export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
}
