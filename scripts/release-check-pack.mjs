// The package as a user gets it: `npm pack` the built package, unpack the tarball into a throwaway project
// whose other dependencies are this repo's node_modules (linked, so nothing is downloaded), then from that
// project import every subpath in ESM and require it in CJS (without require(esm)), run the core there,
// type-check an import of every subpath under node16 resolution as ESM and as CJS, and run the CLI.
// Usage: node scripts/release-check-pack.mjs   (after `npm run build`)
import { execFileSync } from 'node:child_process';
import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const specs = Object.keys(pkg.exports)
  .filter((p) => p !== './package.json')
  .map((p) => (p === '.' ? pkg.name : `${pkg.name}/${p.slice(2)}`));

const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const dir = mkdtempSync(join(tmpdir(), 'mc-pack-'));
try {
  // --ignore-scripts: prepare (Node 22 for the runtime tests) has nothing to do with the tarball.
  const packed = JSON.parse(
    run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], root),
  );
  const { filename, files } = packed[0];
  const paths = files.map((f) => f.path);
  for (const required of ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.cjs']) {
    if (!paths.includes(required)) throw new Error(`the tarball lacks ${required}`);
  }
  const stray = paths.filter((p) => /^(src|test|scripts|bench|docs|examples)\//.test(p));
  if (stray.length) throw new Error(`the tarball carries development files: ${stray.slice(0, 5).join(', ')}`);

  const app = join(dir, 'app');
  const target = join(app, 'node_modules', pkg.name);
  mkdirSync(target, { recursive: true });
  run('tar', ['-xzf', join(dir, filename), '-C', target, '--strip-components=1'], dir);
  for (const name of readdirSync(join(root, 'node_modules'))) {
    if (name === pkg.name || name.startsWith('.')) continue;
    symlinkSync(join(root, 'node_modules', name), join(app, 'node_modules', name));
  }
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'pack-check', private: true }));

  const smoke = `
    const keys = [m.generateKey('pack')];
    const c = m.createMailboxChallenge({ email: 'ada@example.com', purpose: 'login', message: { appName: 'Acme' } }, { keys });
    const r = m.verifyMailboxChallenge({ challengeId: c.challengeId, secret: c.secret, code: c.code }, { keys });
    if (!r.ok || !c.message.html.includes(c.code)) throw new Error('the packed core did not create and verify');`;
  writeFileSync(
    join(app, 'esm.mjs'),
    `${specs.map((s, i) => `import * as m${i} from '${s}';`).join('\n')}
    const m = m0;${smoke}
    console.log(JSON.stringify([${specs.map((_, i) => `Object.keys(m${i}).sort()`).join(', ')}]));`,
  );
  writeFileSync(
    join(app, 'cjs.cjs'),
    `const all = [${specs.map((s) => `require('${s}')`).join(', ')}];
    const m = all[0];${smoke}
    console.log(JSON.stringify(all.map((x) => Object.keys(x).sort())));`,
  );
  const esm = JSON.parse(run(process.execPath, ['esm.mjs'], app));
  const cjs = JSON.parse(run(process.execPath, ['--no-experimental-require-module', 'cjs.cjs'], app));
  specs.forEach((s, i) => {
    if (!esm[i].length) throw new Error(`${s} exports nothing in ESM`);
    if (JSON.stringify(esm[i]) !== JSON.stringify(cjs[i])) {
      throw new Error(`${s} exports differ: ESM ${esm[i].join()} / CJS ${cjs[i].join()}`);
    }
  });

  // Types as a user's compiler resolves them, through the exports map, in an ESM and in a CJS file.
  const imports = specs
    .map((s, i) => `import * as t${i} from '${s}';\nexport const x${i} = t${i};`)
    .join('\n');
  writeFileSync(join(app, 'types.mts'), imports);
  writeFileSync(join(app, 'types.cts'), imports);
  run(
    process.execPath,
    [
      join(root, 'node_modules/typescript/bin/tsc'),
      '--noEmit',
      '--strict',
      '--module',
      'node16',
      '--moduleResolution',
      'node16',
      '--target',
      'es2022',
      '--types',
      'node',
      'types.mts',
      'types.cts',
    ],
    app,
  );

  const bin = typeof pkg.bin === 'string' ? pkg.bin : Object.values(pkg.bin)[0];
  const key = run(process.execPath, [join(target, bin), 'keygen', 'packed'], app).trim();
  if (!/^MAILBOX_KEYS=packed:[A-Za-z0-9_-]{43}$/.test(key)) throw new Error(`the CLI printed ${key}`);

  console.log(
    `packed ${filename} (${files.length} files): ${specs.length} subpaths load in ESM and CJS with the same exports, ` +
      'the core creates and verifies, types resolve under node16 (ESM and CJS), the CLI runs',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
