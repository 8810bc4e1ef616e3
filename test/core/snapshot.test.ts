// Small random draws come from a pool (src/lib/_random.ts). A V8 startup snapshot taken after a draw would
// carry that pool into every process started from it, which would then hand out the same challenge ids,
// nonces and codes. This builds a real snapshot (node --build-snapshot) of an app that drew before it was
// taken, starts two processes from it, and requires their draws to differ.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'mailbox-challenge-snapshot-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a V8 startup snapshot', () => {
  it('does not replay the random pool: processes started from one snapshot draw different bytes', async () => {
    // A snapshot holds one script, so the app is bundled with the library into it.
    const app = `
      import v8 from 'node:v8';
      import { createMailboxChallenge, generateKey } from './src/index.ts';
      const keys = [generateKey('snap')];
      const draw = () => {
        const c = createMailboxChallenge({ email: 'ada@example.com', purpose: 'login' }, { keys });
        return c.challengeId + ' ' + c.code;
      };
      const before = draw(); // fills the pool before the snapshot is written
      v8.startupSnapshot.setDeserializeMainFunction(() => process.stdout.write(before + '\\n' + draw()));
    `;
    const out = await build({
      stdin: { contents: app, resolveDir: root, loader: 'ts' },
      bundle: true,
      write: false,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      logLevel: 'error',
    });
    const script = join(dir, 'app.cjs');
    const blob = join(dir, 'app.blob');
    writeFileSync(script, out.outputFiles[0]!.text);
    execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', script], { cwd: dir });

    const run = () =>
      execFileSync(process.execPath, ['--snapshot-blob', blob], { encoding: 'utf8' }).split('\n');
    const [beforeA, afterA] = run();
    const [beforeB, afterB] = run();
    // The draw made before the snapshot is in it (the snapshot works), and the draws after it differ.
    expect(beforeA).toBe(beforeB);
    expect(afterA).toMatch(/^[A-Za-z0-9_-]{22} \d{6}$/);
    expect(afterA).not.toBe(afterB);
    expect(afterA!.split(' ')[0]).not.toBe(afterB!.split(' ')[0]);
  }, 60_000);
});
