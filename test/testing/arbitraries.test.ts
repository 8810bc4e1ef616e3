// The published arbitraries generate what the library accepts, and their built-in purposes come from the
// template build's purpose list (a purpose given its own wording shows up here without an edit).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PURPOSE_KINDS } from '../../src/email/_kinds.js';
import { createMailboxChallenge, generateKey } from '../../src/index.js';
import { mailboxArbitraries } from '../../src/testing/index.js';

const arb = mailboxArbitraries(fc);
const keys = [generateKey('arb')];

describe('mailboxArbitraries', () => {
  it('draws every purpose that has its own wording, and never the fallback section', () => {
    const drawn = new Set(fc.sample(arb.purpose, { numRuns: 2_000, seed: 7 }));
    for (const kind of PURPOSE_KINDS.filter((k) => k !== 'default')) expect(drawn, kind).toContain(kind);
    expect(drawn).not.toContain('default');
  });

  it('generates inputs createMailboxChallenge accepts', () => {
    fc.assert(
      fc.property(arb.email, arb.purpose, arb.userId, arb.metadata, (email, purpose, userId, metadata) => {
        const c = createMailboxChallenge(
          { email, purpose, userId, metadata: metadata as never, message: false },
          { keys },
        );
        expect(c.purpose).toBe(purpose);
        expect(c.userId).toBe(userId);
      }),
      { numRuns: 200 },
    );
  });
});
