export { type FastCheckLike, type MailboxArbitraries, mailboxArbitraries } from './arbitraries.js';
export { createTestClock, type TestClock } from './clock.js';
export { createTestOutbox, extractCode, type TestOutbox } from './outbox.js';
