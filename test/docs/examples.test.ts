// Every code example a reader may paste compiles against the package as published: TSDoc `@example` blocks
// in src/, and the ts blocks of README.md and the Markdown pages in docs/. How an example is checked: see _examples.ts.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type CheckedExample,
  checkExamples,
  ENTRY_SOURCES,
  markdownExamples,
  publicValues,
  root,
  tsdocExamples,
} from './_examples.js';

// Examples known not to compile, by `file#symbol`, each with why. They live in files other people own
// (the docs helper lists them in its report); the test below fails as soon as one compiles, so fixing
// an example means deleting its line here.
const KNOWN_FAILING: Record<string, string> = {};

// Public values without TSDoc, by `subpath#name`; the same rule: delete the line once it is documented.
const KNOWN_UNDOCUMENTED: Record<string, string> = {};

const docsPages = existsSync(join(root, 'docs'))
  ? readdirSync(join(root, 'docs'))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`)
  : [];
const examples = checkExamples([
  ...tsdocExamples(),
  ...['README.md', ...docsPages].flatMap(markdownExamples),
]);
const key = (e: CheckedExample) => `${e.file}#${e.symbol}`;

describe('code examples type-check against the package entries', () => {
  it('the paths map covers every subpath package.json exports', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
    const exported = Object.keys(pkg.exports)
      .filter((p) => p !== './package.json')
      .map((p) => (p === '.' ? 'mailbox-challenge' : `mailbox-challenge/${p.slice(2)}`));
    for (const spec of exported) expect(ENTRY_SOURCES, spec).toHaveProperty(spec);
    for (const src of exported.map((s) => ENTRY_SOURCES[s]!))
      expect(existsSync(join(root, src)), src).toBe(true);
  });

  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThan(20);
  });

  it.each(examples.filter((e) => !(key(e) in KNOWN_FAILING)).map((e) => [e.id, e.symbol, e] as const))(
    '%s (%s)',
    (_id, _symbol, e) => {
      expect(e.errors).toEqual([]);
    },
  );

  it.each(Object.entries(KNOWN_FAILING))('%s is still broken (%s): when it compiles, remove it here', (k) => {
    const matching = examples.filter((e) => key(e) === k);
    expect(matching.length, `no example at ${k} any more`).toBeGreaterThan(0);
    expect(matching.some((e) => e.errors.length > 0)).toBe(true);
  });
});

describe('every public export is documented', () => {
  const values = publicValues();

  it('every public value has TSDoc, and every public function an @example', () => {
    expect(values.length).toBeGreaterThan(15);
    const missing = values
      .filter((v) => !(v.id in KNOWN_UNDOCUMENTED))
      .filter((v) => !v.documented || (v.fn && !v.example))
      .map((v) => `${v.id}${v.documented ? ' has no @example' : ' has no TSDoc'}`);
    expect(missing).toEqual([]);
  });

  it.each(Object.keys(KNOWN_UNDOCUMENTED))('%s is still undocumented: when it is, remove it here', (id) => {
    const v = values.find((x) => x.id === id);
    expect(v, `${id} is no longer exported`).toBeDefined();
    expect(v!.documented && (!v!.fn || v!.example)).toBe(false);
  });
});
