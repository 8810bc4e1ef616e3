// Size and cold start of every entry point, as users get them.
//
//   node scripts/size.mjs            (after `npm run build`; --json for comparing commits)
//
// size: the entry bundled the way an app bundler would (`export * from '<entry>'`, esbuild, minified, ESM,
//   platform neutral, optional peers left external), gzip -9. Also lists which heavy packages ended up
//   inside, so a light entry that pulls in a heavy dependency is visible.
// cold import: median over fresh Node processes of the time `await import('<entry>')` takes (from dist),
//   wall and CPU, measured inside the process: what an import adds to a cold start.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const json = process.argv.includes('--json');
// SIZE_RUNS=0: sizes only (the test that holds the size caps; timings are never asserted).
const runs = Number(process.env.SIZE_RUNS ?? 9);

const entries = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`));
// Peers are the host's to install and node:* is the runtime's: neither is counted in our size.
const external = [...Object.keys(pkg.peerDependencies ?? {}), 'node:*'];
const HEAVY = [
  'zod/v4/locales',
  'mjml',
  'html-to-text',
  'nodemailer',
  'pg',
  'redis',
  'ioredis',
  '@electric-sql',
];

// dist inlines zod and @noble, so what is inside is read from a bundle of the entry's source (tsup.config.ts).
const sources = Object.fromEntries(
  [
    ...readFileSync(new URL('../tsup.config.ts', import.meta.url), 'utf8').matchAll(/(\w+): '(src\/[^']+)'/g),
  ].map(([, name, path]) => [name, path]),
);
const sourceOf = (entry) => sources[entry === pkg.name ? 'index' : entry.slice(pkg.name.length + 1)];

const bundle = (contents, metafile) =>
  build({
    stdin: { contents, resolveDir: root, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['import'],
    target: 'es2022',
    external,
    write: false,
    metafile,
    logLevel: 'error',
  });

async function size(entry) {
  const built = await bundle(`export * from ${JSON.stringify(entry)};`, true);
  const code = built.outputFiles[0].contents;
  // Peers the entry imports: the host's bundle gets them too (a static import of mjml from a light entry
  // would put mjml on the request path even though it is not counted in our bytes).
  const peers = [
    ...new Set(
      Object.values(built.metafile.outputs)
        .flatMap((o) => o.imports)
        .filter((i) => i.external && !i.path.startsWith('node:'))
        .map((i) => (i.kind === 'dynamic-import' ? `${i.path} (lazy)` : i.path)),
    ),
  ];
  const src = sourceOf(entry);
  // What is really inside: files with bytes in the output. The metafile's `inputs` also lists every file
  // parsed and then tree-shaken away (zod/mini parses all of zod's locales to drop them), which would
  // report packs that are not there.
  const inside = src
    ? Object.values((await bundle(`export * from './${src}';`, true)).metafile.outputs).flatMap((o) =>
        Object.entries(o.inputs)
          .filter(([, v]) => v.bytesInOutput > 0)
          .map(([path]) => path),
      )
    : [];
  const heavy = HEAVY.filter((h) =>
    inside.some((i) =>
      h === 'zod/v4/locales'
        ? i.includes('zod/v4/locales/') && !i.endsWith('/en.js') && !i.endsWith('/index.js')
        : i.includes(`node_modules/${h}/`),
    ),
  );
  return { minified: code.length, gzip: gzipSync(code, { level: 9 }).length, heavy, peers };
}

// Measured inside each fresh process, around the import alone (Node's own start-up is not ours): wall time,
// and CPU time, which a busy machine disturbs less. Median of `runs` processes each.
function cold(entry) {
  if (runs === 0) return { coldImportMs: Number.NaN, coldImportCpuMs: Number.NaN };
  const script = `const c = process.cpuUsage(); const t = performance.now(); await import(${JSON.stringify(entry)});
    const u = process.cpuUsage(c); process.stdout.write(JSON.stringify([performance.now() - t, (u.user + u.system) / 1000]));`;
  const wall = [];
  const cpu = [];
  for (let i = 0; i < runs; i++) {
    const [w, c] = JSON.parse(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }),
    );
    wall.push(w);
    cpu.push(c);
  }
  const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { coldImportMs: median(wall), coldImportCpuMs: median(cpu) };
}

const rows = [];
for (const entry of entries) rows.push({ entry, ...(await size(entry)), ...cold(entry) });
// The loader's own first-import cost (an empty module), included in every figure above: shown, not subtracted.
const empty = cold('data:text/javascript,');

if (json) console.log(JSON.stringify({ node: process.version, emptyModule: empty, entries: rows }));
else {
  const kB = (n) => `${(n / 1000).toFixed(1)} kB`;
  console.log(`node ${process.version}; cold import: median of ${runs} fresh processes, wall (CPU)`);
  console.log(
    `(an empty module: +${empty.coldImportMs.toFixed(0)} ms (${empty.coldImportCpuMs.toFixed(0)}), included in each figure)`,
  );
  console.log(
    `${'entry'.padEnd(30)}${'min'.padStart(10)}${'gzip'.padStart(10)}${'cold import'.padStart(20)}  heavy inside; peers imported`,
  );
  for (const r of rows) {
    const ms = `+${r.coldImportMs.toFixed(0)} ms (${r.coldImportCpuMs.toFixed(0)})`;
    console.log(
      `${r.entry.padEnd(30)}${kB(r.minified).padStart(10)}${kB(r.gzip).padStart(10)}${ms.padStart(20)}  ${r.heavy.join(', ') || '-'}; ${r.peers.join(', ') || '-'}`,
    );
  }
}
