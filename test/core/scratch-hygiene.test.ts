// The hot path reuses module buffers instead of allocating (docs/maintaining.md, "Keep small byte arrays
// inside V8's heap"). None of them may keep a secret after the call: a key, a subkey, or a code.
import crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { createMailboxChallenge } from '../../src/create.js';
import { createMailboxFlow } from '../../src/flow/create-flow.js';
import { generateKey } from '../../src/keys.js';
import { subkeyScratchForTests } from '../../src/lib/_aead.js';
import { shortScratchForTests } from '../../src/lib/_bytes.js';
import { macInputForTests } from '../../src/lib/_keys.js';
import { createTestOutbox } from '../../src/testing/index.js';
import { verifyMailboxChallenge } from '../../src/verify.js';
import { PURE_MODE } from './_helpers.js';

// A buffer the runtime does not have (no Buffer with MAILBOX_CHALLENGE_PURE=1) keeps nothing either.
const zero = (bytes: Uint8Array | undefined) => bytes === undefined || bytes.every((b) => b === 0);
const keys = [generateKey('hygiene')];

describe('module buffers keep no secret after a call', () => {
  it('generateKey: none of the key bytes stay in the short base64url buffer', () => {
    const key = generateKey('fresh');
    expect(Buffer.from(key.secret, 'base64url')).toHaveLength(32);
    expect(zero(shortScratchForTests)).toBe(true);
  });

  it('create, then a verify with a wrong code and with the right one: no ChaCha20 subkey is left behind', () => {
    const c = createMailboxChallenge({ email: 'ada@example.com', purpose: 'login' }, { keys });
    expect(zero(subkeyScratchForTests)).toBe(true);
    const wrong = c.code === '000000' ? '111111' : '000000';
    expect(verifyMailboxChallenge({ ...c, code: wrong }, { keys }).ok).toBe(false);
    expect(zero(subkeyScratchForTests)).toBe(true);
    expect(verifyMailboxChallenge({ ...c, secret: `${c.secret.slice(0, -2)}AA` }, { keys }).ok).toBe(false);
    expect(zero(subkeyScratchForTests)).toBe(true);
    expect(verifyMailboxChallenge(c, { keys }).ok).toBe(true);
    expect(zero(subkeyScratchForTests)).toBe(true);
  });

  it('flow.start and a wrong-code verify: the keyed tags are computed, the code does not stay in the MAC buffer', async () => {
    const outbox = createTestOutbox();
    const flow = createMailboxFlow({ keys, appName: 'Acme', sender: outbox });
    const started = await flow.start({ email: 'ada@example.com', purpose: 'login' });
    if (!started.ok) throw started.error;
    const code = outbox.lastCode('ada@example.com') ?? '';
    expect(zero(macInputForTests())).toBe(true);
    const wrong = code === '000000' ? '111111' : '000000';
    const checked = await flow.verify({ ...started, code: wrong, purpose: 'login' });
    expect(checked.ok || checked.error.code).toBe('INVALID_CODE');
    expect(zero(macInputForTests())).toBe(true);
    expect(zero(subkeyScratchForTests)).toBe(true);
  });

  // Native ChaCha only (MAILBOX_CHALLENGE_PURE=1 takes @noble, which checks the tag before it decrypts).
  it.skipIf(PURE_MODE)(
    'an open that fails its tag after decrypting (another challengeId, a forged tag) keeps no plaintext',
    () => {
      // node:crypto decrypts in update() and checks the tag in final(): the bytes update() returned are the
      // real plaintext, code included, whatever final() then says.
      const outputs: Uint8Array[] = [];
      const real = crypto.createDecipheriv;
      const spy = vi.spyOn(crypto, 'createDecipheriv').mockImplementation(((
        ...args: Parameters<typeof real>
      ) => {
        const decipher = real(...args);
        const update = decipher.update.bind(decipher) as (data: Uint8Array) => Buffer;
        decipher.update = ((data: Uint8Array) => {
          const out = update(data);
          outputs.push(out);
          return out;
        }) as typeof decipher.update;
        return decipher;
      }) as typeof real);
      try {
        const c = createMailboxChallenge({ email: 'ada@example.com', purpose: 'login' }, { keys });
        const other = createMailboxChallenge({ email: 'bob@example.com', purpose: 'login' }, { keys });
        const forged = `${c.secret.slice(0, -2)}${c.secret.endsWith('AA') ? 'BA' : 'AA'}`;
        for (const attempt of [
          { ...c, secret: forged },
          { ...c, challengeId: other.challengeId },
        ]) {
          outputs.length = 0;
          expect(verifyMailboxChallenge(attempt, { keys })).toMatchObject({
            ok: false,
            error: { code: 'INVALID_CHALLENGE' },
          });
          expect(outputs).toHaveLength(1); // it did decrypt: the wipe, not a skipped update, is under test
          expect(outputs[0]!.length).toBeGreaterThan(c.code.length);
          expect(zero(outputs[0])).toBe(true);
        }
        outputs.length = 0;
        expect(verifyMailboxChallenge(c, { keys }).ok).toBe(true);
        expect(outputs).toHaveLength(1);
        expect(zero(outputs[0])).toBe(true);
      } finally {
        spy.mockRestore();
      }
    },
  );
});
