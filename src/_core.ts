// The core as one module, for the ESM build (tsup.config.ts): dist/index.js re-exports it, and the other
// entries import what they share with the core from it, so every entry sees one MailboxChallengeError class
// and one locale catalog, and a cold start loads the core as one file instead of eight chunks.
// Not a public entry (not in package.json `exports`). Lists every core name another entry imports.

export { installLocales } from './email/_catalog.js';
export { ENGLISH } from './email/_compiled.js';
export { escapeHtml } from './email/_escape.js';
export { CODE_STRING_SLOTS, fillStrings, parseSlots, slotNames, TAG, VALUE_SLOTS } from './email/_fill.js';
export { makeCompiledTemplate } from './email/compiled-template.js';
export { httpStatusOf, invalidInput } from './errors.js';
export { applyStepInPlace, RETENTION_SLACK_MS } from './flow/state.js';
export * from './index.js';
export { parseEmail } from './lib/_address.js';
export { concatBytes } from './lib/_bytes.js';
export { headersField } from './lib/_headers.js';
export {
  emailField,
  headerTextField,
  intField,
  lazySchema,
  parseInput,
  purposeField,
  textField,
} from './lib/_schema.js';
export * from './lib/_zod.js';
