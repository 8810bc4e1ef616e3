// fast-check arbitraries for valid inputs. fast-check is an optional peer: pass your own `fc` so this
// entry loads without it. The public types never name fast-check either (so they load without it under
// `skipLibCheck: false`): the arbitrary types are read off the `fc` the caller passes.
import type * as FastCheck from 'fast-check';
import { PURPOSE_KINDS } from '../email/_kinds.js';
import type { JsonObject } from '../types.js';

// Only what is used, so both `import fc from 'fast-check'` and `import * as fc` type-check.
type Used =
  | 'string'
  | 'constantFrom'
  | 'array'
  | 'tuple'
  | 'dictionary'
  | 'oneof'
  | 'integer'
  | 'boolean'
  | 'constant';
type Fc = Pick<typeof FastCheck, Used>;

/** The shape of the `fc` argument: fast-check itself (`import fc from 'fast-check'` or `import * as fc`). */
export type FastCheckLike = {
  // biome-ignore lint/suspicious/noExplicitAny: matched against fast-check's own overloaded signatures
  [K in Used]: (...args: any[]) => unknown;
};

const WORDED_PURPOSES = PURPOSE_KINDS.filter((kind) => kind !== 'default');

/**
 * Arbitraries for inputs the library accepts. `S` is fast-check's `Arbitrary<string>`, `M` its
 * `Arbitrary<Record<string, unknown>>` (values are JSON: cast to `JsonObject` where a type asks for one).
 */
export interface MailboxArbitraries<S = unknown, M = unknown> {
  /** Addresses `parseEmail` accepts (ASCII dot-atom local part, LDH domain, alphabetic TLD). */
  email: S;
  /** Purposes: the built-in ones with their own wording (`signup`, `login`, `email-change`), and any other well-formed name. */
  purpose: S;
  /** Printable user ids, 1-128 characters. */
  userId: S;
  /** Small JSON objects within the metadata cap. */
  metadata: M;
}

/**
 * Builds arbitraries with the caller's fast-check.
 *
 * @example
 * ```ts
 * import fc from 'fast-check';
 * import { mailboxArbitraries } from 'mailbox-challenge/testing';
 * const arb = mailboxArbitraries(fc);
 * fc.assert(fc.property(arb.email, arb.purpose, (email, purpose) => email.includes('@') && purpose.length > 0));
 * ```
 */
export function mailboxArbitraries<F extends FastCheckLike>(
  fastCheck: F,
): MailboxArbitraries<ReturnType<F['string']>, ReturnType<F['dictionary']>> {
  const fc = fastCheck as unknown as Fc;
  const chars = (set: string, min: number, max: number) =>
    fc.string({ unit: fc.constantFrom(...set), minLength: min, maxLength: max });
  const atom = chars("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+'-", 1, 12);
  const local = fc.array(atom, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('.'));
  const alnum = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const label = fc
    .tuple(chars(alnum, 1, 1), chars(`${alnum}-`, 0, 10), chars(alnum, 1, 1))
    .map(([a, mid, b]) => a + mid + b);
  const tld = chars('abcdefghijklmnopqrstuvwxyz', 2, 6);
  const domain = fc
    .tuple(fc.array(label, { minLength: 1, maxLength: 3 }), tld)
    .map(([ls, t]) => [...ls, t].join('.'));
  const json: FastCheck.Arbitrary<JsonObject> = fc.dictionary(
    fc.string({ maxLength: 8 }),
    fc.oneof(fc.string({ maxLength: 16 }), fc.integer(), fc.boolean(), fc.constant(null)),
    { maxKeys: 6 },
  );
  const built: MailboxArbitraries<FastCheck.Arbitrary<string>, FastCheck.Arbitrary<JsonObject>> = {
    email: fc.tuple(local, domain).map(([l, d]) => `${l}@${d}`),
    purpose: fc.oneof(
      // The purposes with their own wording, from the template build; `default` is the fallback section.
      fc.constantFrom(...WORDED_PURPOSES),
      fc.tuple(chars(alnum, 1, 1), chars(`${alnum}_-`, 0, 31)).map(([a, b]) => a + b),
    ),
    // Within the default maxUserIdBytes (64 UTF-8 bytes), with no control character or lone surrogate.
    userId: fc
      .string({ minLength: 1, maxLength: 64 })
      .filter((s) => new TextEncoder().encode(s).length <= 64 && /^[^\p{Cc}\p{Cs}\u2028\u2029]+$/u.test(s)),
    metadata: json,
  };
  return built as never;
}
