// The recipes of docs/maintaining.md, exercised so they cannot go stale. (Adding a locale and a purpose's
// wording are exercised by test/email/compiled.test.ts in a temporary copy of templates/.)
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, type MailboxPolicy } from '../../src/index.js';
import { root } from './_examples.js';
import {
  errorCodes,
  errorTableProblems,
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

describe('recipe: change a default', () => {
  it('the README is in sync with DEFAULT_POLICY, guessRisk() and the error codes today', () => {
    expect(policyTableProblems(readme())).toEqual([]);
    expect(guessRiskTableProblems(readme())).toEqual([]);
    expect(errorTableProblems(readme())).toEqual([]);
  });

  it('changing the send limit 3/min to 5/min makes exactly one README row stale, and says which', () => {
    const changed: MailboxPolicy = {
      ...DEFAULT_POLICY,
      sendLimits: [
        { max: 5, windowSeconds: 60 },
        { max: 10, windowSeconds: 3_600 },
      ],
    };
    const problems = policyTableProblems(readme(), changed);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^`sendLimits`: README says "3 per 60 s and 10 per 3,600 s", the default is "5 per 60 s/,
    );
    // The yearly guess bound is set by the mailbox failure budget, so no guess-risk row moves.
    expect(guessRiskTableProblems(readme(), changed)).toEqual([]);
  });

  it('changing the failure budget moves the guess-risk rows that depend on it', () => {
    const changed: MailboxPolicy = { ...DEFAULT_POLICY, addressFailures: { max: 40, windowSeconds: 86_400 } };
    expect(policyTableProblems(readme(), changed)).toEqual([
      '`addressFailures`: README says "20 per 86,400 s", the default is "40 per 86,400 s"',
    ]);
    expect(guessRiskTableProblems(readme(), changed).length).toBeGreaterThan(0);
  });
});

describe('recipe: add an error code', () => {
  it('a code missing from the README error table is named', () => {
    expect(errorTableProblems(readme(), [...errorCodes(), 'NEW_CODE'])).toEqual([
      "README's error table lacks `NEW_CODE`",
    ]);
  });

  it('adding a code to the union makes the compiler name exactly the places the recipe lists', () => {
    const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config;
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
    const walk = (dir: string): string[] =>
      readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? walk(`${dir}/${d.name}`) : d.name.endsWith('.ts') ? [join(root, dir, d.name)] : [],
      );
    const rootNames = walk('src');
    const errorsPath = join(root, 'src/errors.ts');
    const original = readFileSync(errorsPath, 'utf8');
    const changed = original.replace(
      /(export type MailboxChallengeErrorCode =[^;]*);/,
      "$1\n  | 'NEW_CODE';",
    );
    expect(changed).not.toBe(original);

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
