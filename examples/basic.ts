// npm run example: the whole job in one file, with the library as an app would use it.
// 1. The pure layer: create a challenge, show what the host keeps and what it sends, verify the code.
// 2. The flow: start (rate limited, emails the code), a wrong guess, the right code, a replay.
import {
  consoleSender,
  createMailboxChallenge,
  createMailboxFlow,
  generateKey,
  guessRisk,
  verifyMailboxChallenge,
} from '../src/index.js';
import { createTestOutbox } from '../src/testing/index.js';

const keys = [generateKey('demo')]; // in an app: parseKeys(process.env.MAILBOX_KEYS)

console.log('— 1. pure layer —\n');
const challenge = createMailboxChallenge(
  {
    email: 'ada@example.com',
    purpose: 'signup',
    message: { appName: 'Acme', locale: 'en' },
  },
  { keys },
);
console.log('The host keeps (server session or HTTP-only cookie):');
console.log({
  challengeId: challenge.challengeId,
  secret: challenge.secret,
  expiresAt: new Date(challenge.expiresAt),
});
console.log(`\nThe host sends to ${challenge.email}: "${challenge.message?.subject}"`);
console.log(`${challenge.message?.text}\n`);
console.log(`HTML part: ${challenge.message?.html.length.toLocaleString('en-US')} bytes`);

const { challengeId, secret } = challenge;
const wrongGuess = verifyMailboxChallenge(
  { challengeId, secret, code: challenge.code === '000000' ? '111111' : '000000' },
  { keys },
);
console.log('\nverify with a wrong code →', wrongGuess.ok ? 'ok' : wrongGuess.error.code);
const verified = verifyMailboxChallenge(
  { challengeId, secret, code: challenge.code, purpose: 'signup' },
  { keys },
);
console.log('verify with the right code →', verified.ok ? verified.challenge : verified.error.code);

console.log('\n— 2. flow —\n');
const outbox = createTestOutbox();
const printer = consoleSender();
const flow = createMailboxFlow({
  keys,
  appName: 'Acme',
  // Print each email, and keep it so this demo can read the code back as a person would.
  sender: {
    async send(mail) {
      await printer.send(mail);
      await outbox.send(mail);
    },
  },
});
const started = await flow.start({
  email: 'grace@example.com',
  purpose: 'login',
  acceptLanguage: 'fr-CH, fr;q=0.9, en;q=0.5',
});
if (!started.ok) throw started.error;
const code = outbox.lastCode('grace@example.com');
const bad = await flow.verify({
  ...started,
  purpose: 'login',
  code: code === '000000' ? '111111' : '000000',
});
console.log(
  '\nwrong code →',
  bad.ok ? 'ok' : `${bad.error.code}, attemptsRemaining: ${bad.error.attemptsRemaining}`,
);
const good = await flow.verify({ ...started, code, purpose: 'login' });
console.log('right code →', good.ok ? `ok, ${good.challenge.email}` : good.error.code);
const replay = await flow.verify({ ...started, purpose: 'login', code });
console.log('same code again →', replay.ok ? 'ok' : replay.error.code);
console.log(
  `\nWorst-case yearly guess risk per address under the default policy: ${(guessRisk() * 100).toFixed(2)}%`,
);
