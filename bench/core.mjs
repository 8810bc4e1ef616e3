// create and verify against a native node:crypto floor, in one run, as ratios.
// Floor for create: one randomBytes call + AES-256-GCM seal of a same-size payload.
// Floor for verify: AES-256-GCM open + timingSafeEqual of a 16-byte tag.
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { createMailboxChallenge, generateKey, verifyMailboxChallenge } from '../dist/index.js';
import { fmt, measure, table } from './_harness.mjs';

const keys = [generateKey('bench')];
const config = { keys };
const input = { email: 'ada.lovelace@example.com', purpose: 'login' };
const sample = createMailboxChallenge(input, config);
const verifyInput = { challengeId: sample.challengeId, secret: sample.secret, code: sample.code };

const aesKey = randomBytes(32);
const plaintext = Buffer.from(
  JSON.stringify([input.email, input.purpose, null, null, 1, 2, 0, 'd', 6, 'x'.repeat(22)]).padEnd(160),
);
const aad = Buffer.from(`v1.bench.${sample.challengeId}`);
function nativeSeal() {
  const r = randomBytes(16 + 12 + 12);
  const c = createCipheriv('aes-256-gcm', aesKey, r.subarray(16, 28));
  c.setAAD(aad);
  const ct = Buffer.concat([c.update(plaintext), c.final()]);
  return Buffer.concat([r.subarray(16, 28), ct, c.getAuthTag()]);
}
const sealed = nativeSeal();
const tag = randomBytes(16);
function nativeOpen() {
  const d = createDecipheriv('aes-256-gcm', aesKey, sealed.subarray(0, 12));
  d.setAAD(aad);
  d.setAuthTag(sealed.subarray(sealed.length - 16));
  const pt = Buffer.concat([d.update(sealed.subarray(12, sealed.length - 16)), d.final()]);
  JSON.parse(pt.toString());
  return timingSafeEqual(tag, Buffer.from(tag));
}

if (!verifyMailboxChallenge(verifyInput, config).ok) throw new Error('bench setup: verify failed');

const r = measure({
  'floor: node:crypto seal': nativeSeal,
  createMailboxChallenge: () => createMailboxChallenge(input, config),
  'floor: node:crypto open': nativeOpen,
  verifyMailboxChallenge: () => verifyMailboxChallenge(verifyInput, config),
});

console.log(
  `\ncore, ${process.env.MAILBOX_CHALLENGE_PURE === '1' ? 'pure @noble' : 'native fast path'} (node ${process.version}, ${process.arch})`,
);
table([
  ['case', 'rate', 'vs floor'],
  ['node:crypto seal (floor)', fmt(r['floor: node:crypto seal']), '1.00×'],
  [
    'createMailboxChallenge',
    fmt(r.createMailboxChallenge),
    `${(r['floor: node:crypto seal'] / r.createMailboxChallenge).toFixed(2)}× slower`,
  ],
  ['node:crypto open (floor)', fmt(r['floor: node:crypto open']), '1.00×'],
  [
    'verifyMailboxChallenge',
    fmt(r.verifyMailboxChallenge),
    `${(r['floor: node:crypto open'] / r.verifyMailboxChallenge).toFixed(2)}× slower`,
  ],
]);
console.log(`secret length: ${sample.secret.length} characters`);
