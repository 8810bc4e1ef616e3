// flow.start's fast input path (quickStart) accepts only what startSchema accepts and returns what it
// returns (the address parsed); it accepts the common calls, and leaves a per-call message to the schema.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quickStart, startSchema } from '../../src/flow/create-flow.js';
import { parseEmail } from '../../src/lib/_address.js';
import { quick } from '../../src/lib/_schema.js';

const sometimes = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 8, arbitrary: good }, { weight: 1, arbitrary: fc.anything() });
const fields: Record<string, fc.Arbitrary<unknown>> = {
  email: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('ada@example.com', ' Ada@Example.com ', 'ada+x@gmail.com') },
    fc.constantFrom('ada@', 'ada@@example.com', `${'a'.repeat(65)}@example.com`, 'ａｄａ@example.com'),
    fc.string(),
  ),
  purpose: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('login', 'signup', 'a'.repeat(32)) },
    fc.constantFrom('', 'Login', 'a'.repeat(33), 'login\n'),
    fc.string({ maxLength: 34 }),
  ),
  userId: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(null, 'u1', 'x'.repeat(255)) },
    fc.constantFrom('', 'x'.repeat(256), 'a\u0000', 'a\ud800'),
    fc.string({ maxLength: 300, unit: 'binary' }),
  ),
  metadata: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(null, {}, { a: [1, { b: null }] }) },
    fc.constantFrom([], { x: 'y'.repeat(2000) }, new Date(0)),
    fc.jsonValue(),
  ),
  locale: fc.oneof(
    fc.constantFrom('de', 'pt-BR', 'x'.repeat(35), 'x'.repeat(36)),
    fc.string({ maxLength: 40 }),
  ),
  acceptLanguage: fc.oneof(
    fc.constantFrom('de-CH,de;q=0.9', '', 'x'.repeat(4096), 'x'.repeat(4097)),
    fc.string({ maxLength: 50 }),
  ),
  message: fc.constantFrom({ appName: 'Acme' }, {}, null, 'x'),
};

const input = fc
  .shuffledSubarray(['userId', 'metadata', 'locale', 'acceptLanguage', 'message'], { maxLength: 3 })
  .chain((optional) =>
    fc.record(Object.fromEntries(['email', 'purpose', ...optional].map((k) => [k, sometimes(fields[k]!)]))),
  )
  .chain((o) =>
    fc.oneof(
      { weight: 10, arbitrary: fc.constant(o) },
      fc.constantFrom('email', 'userId', 'message', 'extra').map((k) => ({ ...o, [k]: undefined })),
      fc.constantFrom('extra', 'Email', 'ttlSeconds').map((k) => ({ ...o, [k]: 1 })),
    ),
  );

describe('quickStart', () => {
  it('accepts only what startSchema accepts, returns what it returns, and accepts most valid calls', () => {
    let valid = 0;
    let fast = 0;
    fc.assert(
      fc.property(input, (value) => {
        const zod = startSchema().safeParse(value);
        const got = quick(quickStart(), value);
        if (zod.success) valid++;
        if (got === undefined) return;
        fast++;
        expect(zod.success).toBe(true);
        if (zod.success) expect(got).toStrictEqual({ ...zod.data, email: parseEmail(zod.data.email) });
      }),
      { numRuns: 5000 },
    );
    expect(fast).toBeGreaterThan(valid / 3);
  });

  it('leaves a per-call message to the schema, and takes a plain start', () => {
    expect(quick(quickStart(), { email: 'ada@example.com', purpose: 'login', message: {} })).toBeUndefined();
    expect(quick(quickStart(), { email: 'ada@example.com', purpose: 'login', message: undefined })).toEqual({
      email: parseEmail('ada@example.com'),
      purpose: 'login',
      message: undefined,
    });
  });
});
