export {
  type CreatedMailboxChallenge,
  type CreateMailboxChallengeInput,
  createMailboxChallenge,
  type MailboxChallengeConfig,
} from './create.js';
export {
  MailboxChallengeError,
  type MailboxChallengeErrorCode,
  type MailboxChallengeErrorDetails,
} from './errors.js';
export { generateKey, type MailboxKey, type MailboxKeys, parseKeys } from './keys.js';
export type { MailboxChallenge } from './lib/_challenge.js';
export type { CodeAlphabet } from './lib/_code.js';
export type { JsonObject, JsonValue } from './lib/_json.js';
export { type Result, type VerifyInput, verifyMailboxChallenge } from './verify.js';
