// README facts that live in code, and the checks that hold the README to them: the policy table to
// DEFAULT_POLICY, the guess-risk table to guessRisk(), the error table to the one error table in src/errors.ts
// (each code and the HTTP status it gets). Each check returns its problems (empty: in sync), so the recipe test
// can also feed it a changed default and see exactly which row goes stale.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, MailboxChallengeError, type MailboxChallengeErrorCode } from '../../src/errors.js';
import { statusOf } from '../../src/http/index.js';
import { DEFAULT_POLICY, guessRisk, type MailboxPolicy } from '../../src/index.js';
import { root } from './_examples.js';

export const readme = () => readFileSync(join(root, 'README.md'), 'utf8');

/** The rows of the first Markdown table under the heading `heading` (exact text, any level). */
export function tableUnder(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n');
  const at = lines.findIndex((l) => /^#{1,6} /.test(l) && l.replace(/^#+ /, '').trim() === heading);
  if (at < 0) return [];
  const rows: string[][] = [];
  let started = false;
  for (const line of lines.slice(at + 1)) {
    if (/^#{1,6} /.test(line)) break;
    if (line.startsWith('|')) {
      started = true;
      const cells = line
        .slice(1, line.trimEnd().endsWith('|') ? line.trimEnd().length - 1 : undefined)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim());
      if (!cells.every((c) => /^:?-+:?$/.test(c))) rows.push(cells);
    } else if (started) break;
  }
  return rows.slice(1); // without the header row
}

const group = (n: number) => n.toLocaleString('en-US');

/** How the README writes a default: units from the option's name, limits as "max per window". */
export function formatDefault(key: string, value: unknown): string {
  const window = (l: { max: number; windowSeconds: number }) =>
    `${group(l.max)} per ${group(l.windowSeconds)} s`;
  if (Array.isArray(value)) return value.map(window).join(' and ');
  if (value && typeof value === 'object') return window(value as { max: number; windowSeconds: number });
  if (typeof value === 'string') return `\`${value}\``;
  if (typeof value === 'number') {
    if (key.endsWith('Seconds')) return `${group(value)} s`;
    if (key.endsWith('Ms')) return `${group(value)} ms`;
    return group(value);
  }
  return String(value);
}

/** Problems between README's "Policy and guess risk" table and a policy (DEFAULT_POLICY unless given). */
export function policyTableProblems(markdown: string, policy: MailboxPolicy = DEFAULT_POLICY): string[] {
  const rows = tableUnder(markdown, 'Policy and guess risk').filter((r) => /^`\w+`$/.test(r[0] ?? ''));
  if (rows.length === 0) return ['README has no "Policy and guess risk" table with `option` rows'];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const [cell, written] of rows) {
    const key = cell!.slice(1, -1);
    seen.add(key);
    if (!(key in policy)) {
      problems.push(`README lists \`${key}\`, which is not a policy option`);
      continue;
    }
    const expected = formatDefault(key, policy[key as keyof MailboxPolicy]);
    if (written !== expected)
      problems.push(`\`${key}\`: README says "${written}", the default is "${expected}"`);
  }
  for (const key of Object.keys(policy))
    if (!seen.has(key)) problems.push(`README's policy table lacks \`${key}\``);
  return problems;
}

/** `min(1, p)` as README writes it: a percentage with two significant digits. */
export const formatRisk = (p: number) =>
  `${Number((p * 100).toPrecision(2)).toLocaleString('en-US', { maximumFractionDigits: 10 })}%`;

/** Problems between README's guess-risk table and guessRisk(): each row names its policy as code. */
export function guessRiskTableProblems(markdown: string, defaults: MailboxPolicy = DEFAULT_POLICY): string[] {
  const rows = tableUnder(markdown, 'The chance of a guess');
  if (rows.length === 0) return ['README has no "The chance of a guess" table'];
  const problems: string[] = [];
  for (const [policyCell, guessesCell, riskCell] of rows) {
    const literal = /`guessRisk\((.*)\)`/.exec(policyCell ?? '')?.[1];
    if (literal === undefined) {
      problems.push(`a guess-risk row does not name its policy as \`guessRisk(...)\`: ${policyCell}`);
      continue;
    }
    // The README's own literal, evaluated as written (test input, not user input).
    const overrides = (
      literal.trim() ? new Function(`return (${literal});`)() : {}
    ) as Partial<MailboxPolicy>;
    const policy = { ...defaults, ...overrides };
    const risk = guessRisk(policy);
    const n = (policy.codeAlphabet === 'base32' ? 32 : 10) ** policy.codeLength;
    const guesses = group(Math.round(risk * n));
    if (guessesCell?.replace(/\*/g, '') !== guesses)
      problems.push(`guessRisk(${literal}): README says ${guessesCell} guesses a year, it is ${guesses}`);
    if (riskCell?.replace(/\*/g, '') !== formatRisk(risk))
      problems.push(`guessRisk(${literal}): README says ${riskCell}, it is ${formatRisk(risk)}`);
  }
  return problems;
}

/** How the README writes a code's HTTP status: what the public `statusOf` answers, read from the error table. */
export function formatStatus(code: string): string {
  const error = (details = {}) =>
    new MailboxChallengeError(code as MailboxChallengeErrorCode, undefined, details);
  const plain = statusOf(error());
  const timed = statusOf(error({ retryAfterSeconds: 1 }));
  return plain === timed ? String(plain) : `${plain}; ${timed} with \`retryAfterSeconds\``;
}

/** Problems between README's "Errors" table and the one error table in src/errors.ts: codes and HTTP statuses. */
export function errorTableProblems(markdown: string, codes: readonly string[] = ERROR_CODES): string[] {
  const rows = tableUnder(markdown, 'Errors').filter((r) => /^`[A-Z_]+`$/.test(r[0] ?? ''));
  if (rows.length === 0) return ['README has no "Errors" table with `CODE` rows'];
  const problems: string[] = [];
  const listed = rows.map((r) => r[0]!.slice(1, -1));
  for (const code of codes)
    if (!listed.includes(code)) problems.push(`README's error table lacks \`${code}\``);
  for (const [cell, , status] of rows) {
    const code = cell!.slice(1, -1);
    if (!codes.includes(code)) {
      problems.push(`README lists \`${code}\`, which is not an error code`);
      continue;
    }
    if (status !== formatStatus(code))
      problems.push(`\`${code}\`: README says HTTP ${status}, the error table says ${formatStatus(code)}`);
  }
  return problems;
}
