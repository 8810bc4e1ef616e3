export type {
  ChallengeEntry,
  ChallengeStore,
  FlowStep,
  MailboxRecord,
  MailSender,
  OutgoingMail,
  PurposeState,
  StepLimits,
  StepReply,
} from './adapters.js';
export {
  type CreatedMailboxChallenge,
  type CreateMailboxChallengeInput,
  createMailboxChallenge,
  type MailboxChallengeConfig,
} from './create.js';
export type { CompiledTemplate } from './email/compiled-template.js';
export {
  type DescribeErrorOptions,
  describeError,
  type ErrorDescription,
} from './email/describe-error.js';
export { type Locale, negotiateLocale, SUPPORTED_LOCALES } from './email/locale.js';
export { type EmailChangeNoticeInput, renderEmailChangeNotice } from './email/notice.js';
export type {
  BrandOptions,
  CodeMessageStrings,
  FooterLink,
  LocaleCustomization,
  LocaleStringOverrides,
  LocaleStrings,
  LogoOptions,
  MessageOptions,
  NoticeOptions,
  NoticeStrings,
  PerCallMessageOptions,
  PluralForms,
  RenderedMessage,
} from './email/render.js';
export {
  MailboxChallengeError,
  type MailboxChallengeErrorCode,
  type MailboxChallengeErrorDetails,
} from './errors.js';
export { applyStep, decodeRecord, encodeRecord } from './flow/_state.js';
export {
  type ChallengeRef,
  type ChallengeState,
  type ChallengeView,
  createMailboxFlow,
  type EmailChangeNoticeRequest,
  type FlowVerifyInput,
  type IssuedChallenge,
  type MailboxFlow,
  type MailboxFlowEvent,
  type MailboxFlowOptions,
  type ResendInput,
  type StartInput,
} from './flow/create-flow.js';
export { guessRisk } from './flow/guess-risk.js';
export { DEFAULT_POLICY, type MailboxPolicy, type WindowLimit } from './flow/policy.js';
export { generateKey, type MailboxKey, type MailboxKeys, parseKeys } from './keys.js';
export { type ConsoleSenderOptions, consoleSender } from './senders/console.js';
export {
  type CompareAndSetAdapter,
  CompareAndSetContentionError,
  type CompareAndSetStoreOptions,
  compareAndSetStore,
} from './stores/compare-and-set.js';
export { MemoryStoreFullError, type MemoryStoreOptions, memoryStore } from './stores/memory.js';
export type { CodeAlphabet, JsonObject, JsonValue, MailboxChallenge } from './types.js';
export { type Result, type VerifyInput, verifyMailboxChallenge } from './verify.js';
