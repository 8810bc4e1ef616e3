// Bun's runtime: Node's Buffer is there, node:crypto's ChaCha20-Poly1305 is not, so secrets are sealed and
// opened by @noble while base64url and the shared decode buffer are Node's (the pure cipher opens in place
// over that buffer). Node never runs this mix by itself, and MAILBOX_CHALLENGE_PURE=1 turns off Buffer too.
import { readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';

vi.mock('../../src/lib/_native.js', async (original) => ({
  ...(await original<typeof import('../../src/lib/_native.js')>()),
  nativeCrypto: () => undefined,
}));

const { PURE_MODE } = await import('./_helpers.js');
const { activeImplementation, implementations } = await import('../../src/lib/_aead.js');
const { NativeBuffer } = await import('../../src/lib/_native.js');
const { createMailboxChallenge } = await import('../../src/create.js');
const { verifyMailboxChallenge } = await import('../../src/verify.js');
const { draftChallenge, sealDraft } = await import('../../src/lib/_challenge.js');
const { resolveKeys } = await import('../../src/lib/_keys.js');
const { createMailboxFlow } = await import('../../src/flow/create-flow.js');
const { createTestOutbox } = await import('../../src/testing/index.js');

type Vectors = {
  key: { id: string; secret: string };
  cases: Array<{
    spec: Parameters<typeof draftChallenge>[0];
    now: number;
    random: string;
    generation: number;
    expected: { secret: string; code: string; challengeId: string };
  }>;
};
const v2 = JSON.parse(readFileSync(new URL('../vectors/v2.json', import.meta.url), 'utf8')) as Vectors;
const keys = [v2.key];

describe.skipIf(PURE_MODE)('Buffer without native ChaCha20-Poly1305 (Bun)', () => {
  it('runs the pure cipher beside the native Buffer', () => {
    expect(NativeBuffer).toBeDefined();
    expect(activeImplementation()).toBe(implementations.pure);
  });

  it('seals every v2 known-answer vector byte for byte, and verifies it', () => {
    const key = resolveKeys(keys).primary;
    for (const v of v2.cases) {
      const draft = draftChallenge(v.spec, key, v.now, Buffer.from(v.random, 'hex'), v.generation);
      expect(sealDraft(key, draft)).toBe(v.expected.secret);
      const input = { challengeId: v.expected.challengeId, secret: v.expected.secret, code: v.expected.code };
      expect(verifyMailboxChallenge(input, { keys, now: () => v.now + 1000 }).ok).toBe(true);
    }
  });

  it('interleaved secrets, wrong codes and tampered ones: each answer as on Node, none disturbs the next', () => {
    const made = Array.from({ length: 40 }, (_, i) =>
      createMailboxChallenge(
        { email: `ada.${i}@example.com`, purpose: 'login', metadata: { i, s: 'é'.repeat(i * 7) } },
        { keys },
      ),
    );
    for (const c of made) {
      const wrong = c.code === '000000' ? '111111' : '000000';
      const tampered = `${c.secret.slice(0, -4)}${c.secret.endsWith('AAAA') ? 'BBBB' : 'AAAA'}`;
      const bad = verifyMailboxChallenge({ ...c, code: wrong }, { keys });
      expect(bad.ok || bad.error.code).toBe('INVALID_CODE');
      const forged = verifyMailboxChallenge({ ...c, secret: tampered }, { keys });
      expect(forged.ok || forged.error.code).toBe('INVALID_CHALLENGE');
      const good = verifyMailboxChallenge(c, { keys });
      expect(good.ok && good.challenge.metadata).toEqual(c.metadata);
    }
  });

  it('the flow: start, a wrong code, then the right one', async () => {
    const outbox = createTestOutbox();
    const flow = createMailboxFlow({ keys, appName: 'Acme', sender: outbox });
    const started = await flow.start({ email: 'ada@example.com', purpose: 'login' });
    if (!started.ok) throw started.error;
    const code = outbox.lastCode('ada@example.com') ?? '';
    const wrong = await flow.verify({
      ...started,
      code: code === '000000' ? '111111' : '000000',
      purpose: 'login',
    });
    expect(wrong.ok || wrong.error.code).toBe('INVALID_CODE');
    expect((await flow.verify({ ...started, code, purpose: 'login' })).ok).toBe(true);
  });
});
