// One home per fact: the policy defaults live in DEFAULT_POLICY and the error codes in errors.ts; README's
// tables are held to them here, so changing a default (or adding a code) breaks this test and no other.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { DEFAULT_POLICY, MailboxChallengeError } from '../../src/index.js';

const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
const section = (heading: string) =>
  readme.slice(readme.indexOf(heading), readme.indexOf('\n## ', readme.indexOf(heading) + 1));
/** The README table row for `name`, with thousands separators dropped so numbers compare. */
const row = (text: string, name: string) =>
  text
    .split('\n')
    .find((line) => line.startsWith(`| \`${name}\``))
    ?.replaceAll(',', '');

describe('README holds the defaults and the error codes the code has', () => {
  const policy = section('## Policy and guess risk');

  it.each([
    ['ttlSeconds', [DEFAULT_POLICY.ttlSeconds]],
    ['maxAttempts', [DEFAULT_POLICY.maxAttempts]],
    ['addressFailures', [DEFAULT_POLICY.addressFailures.max, DEFAULT_POLICY.addressFailures.windowSeconds]],
    ['sendLimits', DEFAULT_POLICY.sendLimits.flatMap((l) => [l.max, l.windowSeconds])],
    ['resendWindowSeconds', [DEFAULT_POLICY.resendWindowSeconds]],
    ['resendCooldownSeconds', [DEFAULT_POLICY.resendCooldownSeconds]],
    ['storeTimeoutMs', [DEFAULT_POLICY.storeTimeoutMs]],
    ['sendTimeoutMs', [DEFAULT_POLICY.sendTimeoutMs]],
  ] as const)('the policy table states the default of %s', (name, values) => {
    const line = row(policy, name);
    expect(line, `README has no row for ${name}`).toBeDefined();
    const numbers = [...line!.matchAll(/\b\d+\b/g)].map((m) => Number(m[0]));
    for (const value of values) expect(numbers).toContain(value);
  });

  it('the error table lists exactly the codes MailboxChallengeError has', () => {
    const errors = section('## Errors');
    const documented = [...errors.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect([...documented].sort()).toEqual([...ERROR_CODES].sort());
    for (const code of ERROR_CODES) {
      const e = new MailboxChallengeError(code);
      expect(e.code).toBe(code);
      expect(e.message.length).toBeGreaterThan(0);
    }
  });
});
