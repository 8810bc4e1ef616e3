/**
 * Where the flow keeps its counters. Three operations are enough for attempts, single use, send limits
 * and "only the latest code works"; each must be atomic across every process that shares the store.
 * Keys arrive already namespaced and hashed (no raw address ever reaches a store).
 */
export interface ChallengeStore {
  /** Atomically adds 1 and returns the new value. A missing (or expired) key starts at 1 and expires after `ttlSeconds`. */
  increment(key: string, ttlSeconds: number): Promise<number>;
  /** The current value, or null when the key is missing or expired. */
  get(key: string): Promise<number | null>;
  /** Creates the key (expiring after `ttlSeconds`) and returns true, only if it did not exist; otherwise false. */
  setIfAbsent(key: string, ttlSeconds: number): Promise<boolean>;
}

/** One email, rendered and ready for any provider. */
export interface OutgoingMail {
  to: string;
  subject: string;
  html: string;
  text: string;
  /** Extra headers for the provider to set (no CR or LF in any value). */
  headers: Record<string, string>;
  challengeId: string;
  purpose: string;
  /** The negotiated locale of the message, e.g. `de`. */
  locale: string;
}

/** Delivers a rendered email. Throwing (or rejecting) makes the flow answer SEND_FAILED. */
export interface MailSender {
  send(mail: OutgoingMail): Promise<void>;
}
