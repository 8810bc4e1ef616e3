// `npm run release:check`: everything a release needs, in order, stopping at the first failure.
// Tests run with CI=true, so a test that needs a missing binary (redis-server, chromium, a runtime) fails
// instead of skipping: a release is checked on every runtime it claims.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const steps = [
  ['build', npm, ['run', 'build']],
  ['types', npm, ['run', 'typecheck']],
  // lint = biome, then publint --strict and attw (are the types wrong) on the packed package.
  ['lint, publint, attw', npm, ['run', 'lint']],
  [
    'tests (CI=true)',
    process.execPath,
    [join(root, 'node_modules/vitest/vitest.mjs'), 'run'],
    { CI: 'true' },
  ],
  ['packed tarball: ESM, CJS, types, CLI', process.execPath, [join(root, 'scripts/release-check-pack.mjs')]],
  ['API reference', npm, ['run', 'docs']],
];

const done = [];
for (const [name, cmd, args, env] of steps) {
  console.log(`\n==> ${name}`);
  const started = Date.now();
  const r = spawnSync(cmd, args, {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...env },
    shell: process.platform === 'win32',
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (r.status !== 0) {
    console.error(
      `\nrelease:check FAILED at "${name}" (exit ${r.status ?? r.signal}) after: ${done.join(', ') || 'nothing'}`,
    );
    process.exit(1);
  }
  done.push(`${name} ${seconds}s`);
}
if (!existsSync(join(root, 'docs/api/index.html'))) {
  console.error('release:check FAILED: the API reference has no docs/api/index.html');
  process.exit(1);
}
console.log(`\nrelease:check passed: ${done.join(', ')}`);
