// npm run bench: every benchmark, each reporting ratios against its own baseline measured in the same run.
// The core runs twice: with the native ChaCha20-Poly1305 fast path (the default on Node) and pure @noble
// (MAILBOX_CHALLENGE_PURE=1, what edge runtimes get). The path is chosen at import, hence a child process.
import { execFileSync } from 'node:child_process';

const core = new URL('./core.mjs', import.meta.url).pathname;
for (const pure of [false, true]) {
  const env = { ...process.env, MAILBOX_CHALLENGE_PURE: pure ? '1' : '0' };
  process.stdout.write(execFileSync(process.execPath, [core], { env, encoding: 'utf8' }));
}
await import('./email.mjs');

// Cold import: a fresh process importing the built core entry, against one importing mjml.
const root = new URL('..', import.meta.url).pathname;
const coldMs = (spec) => {
  const script = `const t = performance.now(); await import(${JSON.stringify(spec)}); console.log(performance.now() - t);`;
  const runs = Array.from({ length: 7 }, () =>
    Number(
      execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: root, encoding: 'utf8' }),
    ),
  );
  return runs.sort((a, b) => a - b)[3];
};
const coreMs = coldMs('mailbox-challenge');
const mjmlMs = coldMs('mjml');
console.log(`\ncold import (median of 7 fresh processes)`);
console.log(`  mailbox-challenge  ${coreMs.toFixed(1)} ms`);
console.log(
  `  mjml               ${mjmlMs.toFixed(1)} ms   (${(mjmlMs / coreMs).toFixed(1)}× the core entry)`,
);
