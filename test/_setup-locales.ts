// Every test runs as a host that loaded the built-in locales (`import 'mailbox-challenge/locales'`). What the
// core does without them is tested on a bundle of the core entry alone (test/email/core-entry.test.ts).
import '../src/locales.js';
