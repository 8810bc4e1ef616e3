// Installs Node 22 for the runtime tests into test/runtimes/node22/node_modules, from that folder's own
// package-lock.json. It runs as the root package's `prepare` script (so `npm install` and `npm ci` bring it).
// It is a separate install on purpose: the node-linux-* packages declare a `node` bin, and as a root
// dependency that bin would land in node_modules/.bin and silently run every npm script under Node 22.
// A failure here only warns: the runtime test then prints SKIPPED locally and fails under CI=true.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// `prepare` also runs before npm pack and publish (attw --pack, release:check): nothing to install then.
if (['pack', 'publish'].includes(process.env.npm_command ?? '')) process.exit(0);

const dir = join(dirname(fileURLToPath(import.meta.url)), 'node22');
// Drop the parent npm's per-command settings (save, omit, global, prefix...), keep where the registry is.
const keep =
  /^npm_config_(registry|cache|userconfig|globalconfig|.*:registry|.*_auth.*|strict_ssl|ca|cafile|proxy|https_proxy|noproxy)$/i;
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_config_') || keep.test(k)),
);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], {
  cwd: dir,
  env,
  stdio: 'inherit',
  shell: process.platform === 'win32',
});
if (r.status !== 0) {
  console.warn(
    `mailbox-challenge: could not install Node 22 for the runtime tests (npm exited ${r.status}).`,
  );
  console.warn(`  retry with: npm install --prefix ${join('test', 'runtimes', 'node22')}`);
}
