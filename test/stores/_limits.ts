// Step limits for tests that drive stores and rules with steps directly (no flow, no policy).
import type { StepLimits } from '../../src/index.js';

/** Both send limits, a small failure budget and few attempts: every rule is reached in short sequences. */
export const RULE_LIMITS: StepLimits = {
  sendLimits: [
    { max: 3, windowMs: 60_000 },
    { max: 5, windowMs: 3_600_000 },
  ],
  failureLimit: { max: 8, windowMs: 86_400_000 },
  maxAttempts: 3,
  resendWindowMs: 3_600_000,
  resendCooldownMs: 30_000,
};

/** No send limits and one minute for everything: records live 60 s, for tests of a store's bookkeeping. */
export const MINUTE_LIMITS: StepLimits = {
  sendLimits: [],
  failureLimit: { max: 5, windowMs: 60_000 },
  maxAttempts: 5,
  resendWindowMs: 60_000,
  resendCooldownMs: 0,
};
