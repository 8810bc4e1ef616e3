// The part of a flow the handlers use. Narrow on purpose, so a host can wrap or fake one; `createMailboxFlow`
// satisfies it.
import type { MailboxChallengeError } from '../errors.js';
import type { MailboxChallenge } from '../lib/_challenge.js';
import type { CodeAlphabet } from '../lib/_code.js';
import type { JsonObject } from '../lib/_json.js';

type Result<T> = ({ ok: true } & T) | { ok: false; error: MailboxChallengeError };

/** What a start or resend hands back. The UI fields are optional only for flows that predate them. */
export interface IssuedLike {
  challengeId: string;
  secret: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  resendAvailableAt?: number;
  attemptsRemaining?: number;
  codeLength?: number;
  codeAlphabet?: CodeAlphabet;
}

/** The current step of a challenge, as `flow.inspect` reports it. */
export interface ChallengeStateLike {
  purpose: string;
  email: string;
  expiresAt: number;
  resendAvailableAt: number;
  attemptsRemaining: number;
  codeLength: number;
  codeAlphabet: CodeAlphabet;
  status: 'pending' | 'used' | 'locked' | 'superseded' | 'expired' | 'cancelled';
}

interface ChallengeRef {
  challengeId: string;
  secret: string;
}
interface Language {
  locale?: string;
  acceptLanguage?: string;
}

/** The flow methods the HTTP handlers call. */
export interface HandlerFlow {
  start(
    input: {
      email: string;
      purpose: string;
      userId?: string | null;
      metadata?: JsonObject | null;
    } & Language,
  ): Promise<Result<IssuedLike>>;
  resend(input: ChallengeRef & Language): Promise<Result<IssuedLike>>;
  verify(
    input: ChallengeRef & { code: string; purpose: string },
  ): Promise<Result<{ challenge: MailboxChallenge }>>;
  /** Read-only: the current step after a reload. */
  inspect?(input: ChallengeRef): Promise<Result<ChallengeStateLike>>;
  cancel?(input: ChallengeRef): Promise<Result<object>>;
  readonly policy?: {
    readonly codeLength: number;
    readonly codeAlphabet: CodeAlphabet;
    readonly maxAttempts: number;
  };
}
