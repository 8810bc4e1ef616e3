// The testing entry's published types must load where fast-check is not installed (skipLibCheck: false),
// and still give fast-check's own Arbitrary types where it is.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
let dir: string;

/** Type-checks `source` as an app in `cwd` (strict, skipLibCheck false); returns tsc's output, '' when clean. */
function check(cwd: string, source: string): string {
  writeFileSync(join(cwd, 'app.ts'), source);
  writeFileSync(
    join(cwd, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'es2022',
        types: [],
        esModuleInterop: true,
      },
      files: ['app.ts'],
    }),
  );
  try {
    execFileSync(process.execPath, [tsc, '-p', cwd], { cwd, encoding: 'utf8' });
    return '';
  } catch (e) {
    return String((e as { stdout?: string }).stdout);
  }
}

beforeAll(() => {
  // A copy of the package's types in a folder with no node_modules above it: fast-check cannot resolve.
  dir = mkdtempSync(join(tmpdir(), 'mc-types-'));
  const pkgDir = join(dir, 'node_modules', 'mailbox-challenge');
  mkdirSync(join(pkgDir, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(pkgDir, 'package.json'));
  for (const f of readdirSync(join(root, 'dist'))) {
    if (/\.d\.c?ts$/.test(f)) cpSync(join(root, 'dist', f), join(pkgDir, 'dist', f));
  }
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('mailbox-challenge/testing types', () => {
  it('load without fast-check installed', () => {
    const out = check(
      dir,
      `import { createTestOutbox, createTestClock } from 'mailbox-challenge/testing';
const outbox = createTestOutbox();
const clock = createTestClock();
export const n: number = outbox.messages.length + clock.now();
`,
    );
    expect(out).toBe('');
  });

  it("give fast-check's Arbitrary types when it is installed", () => {
    // Inside node_modules, so fast-check resolves from the project's install.
    const withFc = mkdtempSync(join(root, 'node_modules', '.mc-types-'));
    writeFileSync(join(withFc, 'package.json'), '{"type":"module"}');
    const out = check(
      withFc,
      `import fc from 'fast-check';
import * as fcStar from 'fast-check';
import { mailboxArbitraries } from '${join(root, 'dist', 'testing.js')}';
const a = mailboxArbitraries(fc);
const b = mailboxArbitraries(fcStar);
const email: fc.Arbitrary<string> = a.email;
const meta: fc.Arbitrary<Record<string, unknown>> = b.metadata;
fc.assert(fc.property(a.email, a.purpose, (e, p) => e.length + p.length > 0));
export { email, meta };
`,
    );
    rmSync(withFc, { recursive: true, force: true });
    expect(out).toBe('');
  });
});
