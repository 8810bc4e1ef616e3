// The recipes of docs/maintaining.md, exercised so they cannot go stale. (Adding a locale and a purpose's
// wording are exercised by test/email/compiled.test.ts in a temporary copy of templates/.)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { DEFAULT_POLICY, MailboxChallengeError, type MailboxPolicy } from '../../src/index.js';
import { root } from './_examples.js';
import {
  errorTableProblems,
  formatDefault,
  guessRiskTableProblems,
  policyTableProblems,
  readme,
} from './_readme.js';

const maintaining = readFileSync(join(root, 'docs/maintaining.md'), 'utf8');

/** The repository paths in code spans between `<!-- name -->` and `<!-- /name -->` in maintaining.md. */
function listed(name: string): string[] {
  const m = new RegExp(`<!-- ${name} -->([\\s\\S]*?)<!-- /${name} -->`).exec(maintaining);
  if (!m) throw new Error(`docs/maintaining.md has no <!-- ${name} --> list`);
  return [...m[1]!.matchAll(/`((?:src|templates|test)\/[^`*]+)`/g)].map((x) => x[1]!).sort();
}

// The one test of "README says what the code has": the policy table (DEFAULT_POLICY), the guess-risk table
// (guessRisk()) and the error table (ERROR_TABLE in src/errors.ts). Changing a default breaks this and
// nothing else; the recipe tests below derive their changes from the defaults, so they keep passing.
describe('README states the facts whose home is in code', () => {
  it('the policy table holds DEFAULT_POLICY', () => {
    expect(policyTableProblems(readme())).toEqual([]);
  });

  it('the guess-risk table holds guessRisk() of each policy it names', () => {
    expect(guessRiskTableProblems(readme())).toEqual([]);
  });

  it('the error table holds every code of the error table, with its HTTP status', () => {
    expect(errorTableProblems(readme())).toEqual([]);
  });
});

// Each recipe test looks only at what its change adds to README's problems today, so it keeps passing
// (and the README check above is the one that fails) while README lags a real default change.
describe('recipe: change a default', () => {
  it('raising the per-minute send limit makes exactly one README row stale, and says which', () => {
    const [minute, ...rest] = DEFAULT_POLICY.sendLimits;
    const changed: MailboxPolicy = {
      ...DEFAULT_POLICY,
      sendLimits: [{ ...minute!, max: minute!.max + 2 }, ...rest],
    };
    const before = policyTableProblems(readme());
    const after = policyTableProblems(readme(), changed);
    const added = after.filter((p) => !before.includes(p));
    expect(added).toHaveLength(1);
    expect(added[0]).toMatch(/^`sendLimits`: README says "[^"]+", the default is "/);
    expect(added[0]!.endsWith(`the default is "${formatDefault('sendLimits', changed.sendLimits)}"`)).toBe(
      true,
    );
    // The yearly guess bound is set by the mailbox failure budget, so no guess-risk row moves.
    expect(guessRiskTableProblems(readme(), changed)).toEqual(guessRiskTableProblems(readme()));
  });

  it('changing the failure budget moves the guess-risk rows that depend on it', () => {
    const budget = DEFAULT_POLICY.addressFailures;
    const changed: MailboxPolicy = { ...DEFAULT_POLICY, addressFailures: { ...budget, max: budget.max * 2 } };
    const before = policyTableProblems(readme());
    const added = policyTableProblems(readme(), changed).filter((p) => !before.includes(p));
    expect(added).toEqual([
      expect.stringMatching(
        new RegExp(
          `^\`addressFailures\`: README says "[^"]+", the default is "${formatDefault('addressFailures', changed.addressFailures)}"$`,
        ),
      ),
    ]);
    expect(guessRiskTableProblems(readme(), changed)).not.toEqual(guessRiskTableProblems(readme()));
  });
});

describe('recipe: add an error code', () => {
  const errorsPath = join(root, 'src/errors.ts');
  const errorsSource = readFileSync(errorsPath, 'utf8');

  it('every code has a default message, used when none is given', () => {
    for (const code of ERROR_CODES) {
      const message = new MailboxChallengeError(code).message;
      expect(message, code).toMatch(/^[A-Z][a-z]* [a-z]/);
      expect(message, code).not.toBe(code);
    }
  });

  it('a code missing from the README error table is named', () => {
    expect(errorTableProblems(readme(), [...ERROR_CODES, 'NEW_CODE'])).toEqual([
      "README's error table lacks `NEW_CODE`",
    ]);
  });

  it('a README status that differs from the error table is named', () => {
    const row = /^\| `RATE_LIMITED` \|.*\| 429 \|$/m;
    expect(readme()).toMatch(row);
    const stale = readme().replace(row, (line) => line.replace(/429 \|$/, '403 |'));
    expect(errorTableProblems(stale)).toEqual([
      '`RATE_LIMITED`: README says HTTP 403, the error table says 429',
    ]);
  });

  it("the error code type's TSDoc table lists exactly the codes of the error table", () => {
    const doc = /\/\*\*((?:(?!\*\/)[\s\S])*)\*\/\s*export type MailboxChallengeErrorCode/.exec(
      errorsSource,
    )?.[1];
    expect(doc, 'src/errors.ts: no TSDoc on MailboxChallengeErrorCode').toBeDefined();
    const documented = [...doc!.matchAll(/^ \* \| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented).toEqual([...ERROR_CODES]);
  });

  it('a new code in the union makes the compiler name exactly the places the recipe lists', () => {
    const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config;
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
    const walk = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? walk(`${dir}/${d.name}`) : d.name.endsWith('.ts') ? [join(root, dir, d.name)] : [],
      );
    const rootNames = walk('src');
    const changed = errorsSource.replace(
      /(export type MailboxChallengeErrorCode =[^;]*);/,
      "$1\n  | 'NEW_CODE';",
    );
    expect(changed).not.toBe(errorsSource);

    const host = ts.createCompilerHost(options);
    const read = host.getSourceFile;
    host.getSourceFile = (f, lang, onError, create) =>
      f === errorsPath ? ts.createSourceFile(f, changed, lang, true) : read(f, lang, onError, create);
    const program = ts.createProgram({ rootNames, options: { ...options, noEmit: true }, host });
    // Only what the new code causes: diagnostics that name it (errors main may already have do not count).
    const named = [
      ...new Set(
        ts
          .getPreEmitDiagnostics(program)
          .filter((d) => ts.flattenDiagnosticMessageText(d.messageText, ' ').includes('NEW_CODE'))
          .map((d) => (d.file ? d.file.fileName.slice(root.length + 1) : '?')),
      ),
    ].sort();
    expect(named).toEqual(listed('error-code-compiler'));
  });
});
