// Child process for core-entry.test.ts. Loads a built entry while watching module loading, and reports.
//   node _load-probe.mjs <entry file> <core|templates|require>   (require: require() the entry, a control)
// Two independent watches, so a slip through one is caught by the other:
// - an ESM resolve hook that throws on any resolution of mjml* or html-to-text (import, import());
// - after the work, the CommonJS module cache, which every require() of them lands in.
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';

const hooks = `
const FORBIDDEN_SPECIFIER = /^(?:mjml(?:-[a-z-]+)?|html-to-text)(?:\\/|$)/;
const FORBIDDEN_URL = /\\/node_modules\\/(?:mjml(?:-[a-z-]+)?|html-to-text)\\//;
export async function resolve(specifier, context, next) {
  if (FORBIDDEN_SPECIFIER.test(specifier)) throw new Error('FORBIDDEN_MODULE ' + specifier);
  const result = await next(specifier, context);
  if (FORBIDDEN_URL.test(result.url)) throw new Error('FORBIDDEN_MODULE ' + result.url);
  return result;
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const [entry, mode] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const lib =
  entry.endsWith('.cjs') || mode === 'require' ? require(entry) : await import(pathToFileURL(entry).href);

let result;
if (mode === 'core') {
  const keys = [lib.generateKey('probe')];
  const created = lib.createMailboxChallenge(
    {
      email: 'ada@example.com',
      purpose: 'login',
      message: { appName: 'Acme', acceptLanguage: 'fr-CH, en;q=0.5' },
    },
    { keys },
  );
  const notice = lib.renderEmailChangeNotice({
    appName: 'Acme',
    email: 'a@example.com',
    newEmail: 'b@example.com',
  });
  result = {
    locale: created.message.locale,
    codeInHtml: created.message.html.includes(`>${created.code}</div>`),
    codeInText: created.message.text.includes(`\n${created.code}\n`),
    notice: notice.subject,
  };
} else if (mode === 'require') {
  result = { loaded: typeof lib };
} else {
  const template = await lib.compileTemplate(
    '<mjml><mj-body><mj-section><mj-column><mj-text>{{code}}</mj-text></mj-column></mj-section></mj-body></mjml>',
  );
  result = { compiled: typeof template.html === 'string' };
}

const FORBIDDEN_PATH = /[\\/]node_modules[\\/](?:mjml(?:-[a-z-]+)?|html-to-text)[\\/]/;
const cjsLoaded = Object.keys(require.cache).filter((p) => FORBIDDEN_PATH.test(p));
process.stdout.write(JSON.stringify({ result, cjsLoaded }));
if (cjsLoaded.length) process.exitCode = 3;
