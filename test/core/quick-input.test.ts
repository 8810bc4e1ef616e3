// create's fast input path accepts exactly what createInputSchema accepts and returns what it returns (the
// address parsed), for generated inputs mixing valid values, values at each limit and values of every kind.
import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createInputSchema, quickCreateInput } from '../../src/create.js';
import { parseEmail } from '../../src/lib/_address.js';
import { quick } from '../../src/lib/_schema.js';

const sometimes = (good: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 10, arbitrary: good }, { weight: 1, arbitrary: fc.anything() });
const int = (min: number, max: number) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: min - 2, max: max + 2 }) },
    { weight: 2, arbitrary: fc.constantFrom(min - 1, min, max, max + 1) },
    fc.constantFrom(min + 0.5, Number.NaN, Infinity, -0, `${min}`, 2 ** 53),
  );

const fields: Record<string, fc.Arbitrary<unknown>> = {
  email: fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom('ada@example.com', ' Ada@Example.com ', "o'brien@example.com") },
    { weight: 2, arbitrary: fc.emailAddress() },
    fc.constantFrom(
      'ada@example.com',
      ' Ada@Example.com ',
      "o'brien@example.com",
      'ada@bücher.example',
      'ada@',
      'ada@@example.com',
      'ada@example..com',
      `${'a'.repeat(64)}@example.com`,
      `${'a'.repeat(65)}@example.com`,
      'ａｄａ@example.com',
    ),
    fc.string(),
  ),
  purpose: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('login', 'signup', 'email-change', 'a', 'x_1', 'a'.repeat(32)) },
    fc.constantFrom('', 'Login', '-x', 'a'.repeat(33), 'log in', 'login\n'),
    fc.string({ maxLength: 34 }),
  ),
  userId: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(null, 'u1', 'ü'.repeat(40), 'x'.repeat(255)) },
    fc.constantFrom('', 'x'.repeat(256), 'a\u0000', 'a\ud800', 'a\u2028', 'a\u0085'),
    fc.string({ maxLength: 300, unit: 'binary' }),
  ),
  metadata: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(null, {}, { newEmail: 'b@example.com' }, { a: [1, { b: null }] }),
    },
    fc.constantFrom([], { x: 'y'.repeat(2000) }, { f: () => 1 }, new Date(0), { n: Number.NaN }),
    fc.jsonValue(),
  ),
  ttlSeconds: int(30, 86_400),
  codeLength: int(6, 10),
  codeAlphabet: fc.constantFrom('digits', 'base32', 'Digits', ''),
  message: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(false, { appName: 'Acme' }, { appName: 'Acme', locale: 'de' }) },
    fc.constantFrom(true, null, 0, '', { appName: '' }, { appName: 'Acme', extra: 1 }, []),
  ),
};

const input = fc
  .shuffledSubarray(['userId', 'metadata', 'ttlSeconds', 'codeLength', 'codeAlphabet', 'message'], {
    maxLength: 4,
  })
  .chain((optional) =>
    fc.record(Object.fromEntries(['email', 'purpose', ...optional].map((k) => [k, sometimes(fields[k]!)]))),
  )
  .chain((o) =>
    fc.oneof(
      { weight: 10, arbitrary: fc.constant(o) },
      fc.constantFrom('email', 'userId', 'message', 'extra', 'ttl').map((k) => ({ ...o, [k]: undefined })),
      fc.constantFrom('extra', 'ttl', 'Email').map((k) => ({ ...o, [k]: 1 })),
    ),
  );

/** What the schema returns, with the address parsed as the fast path returns it. */
function viaSchema(value: unknown) {
  const zod = createInputSchema().safeParse(value);
  if (!zod.success) return undefined;
  return { ...zod.data, email: parseEmail(zod.data.email) };
}

describe('quickCreateInput', () => {
  it('accepts exactly what createInputSchema accepts, and returns what it returns', () => {
    let accepted = 0;
    fc.assert(
      fc.property(input, (value) => {
        const expected = viaSchema(value);
        if (expected) accepted++;
        expect(quick(quickCreateInput, value)).toStrictEqual(expected);
      }),
      { numRuns: 5000 },
    );
    expect(accepted).toBeGreaterThan(500);
  });

  it.each(Object.keys(fields))('agrees with it on every value of %s', (key) => {
    fc.assert(
      fc.property(sometimes(fields[key]!), (value) => {
        const input = { email: 'ada@example.com', purpose: 'login', [key]: value };
        expect(quick(quickCreateInput, input)).toStrictEqual(viaSchema(input));
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses a Proxy whose traps throw, leaving it to the schema', () => {
    const hostile = new Proxy(
      { email: 'ada@example.com', purpose: 'login' },
      {
        get() {
          throw new Error('trap');
        },
      },
    );
    expect(quick(quickCreateInput, hostile)).toBeUndefined();
  });
});
