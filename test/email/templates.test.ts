import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createMailboxChallenge, MailboxChallengeError } from '../../src/index.js';
import { compileTemplate } from '../../src/templates/index.js';
import { createWithMessage, escapeHtml, keys, LEFTOVER, ROOT, withoutStyles } from './_helpers.js';

const HOST_MJML = `<mjml lang="{{lang}}" dir="{{dir}}">
  <mj-head><mj-title>{{subject}}</mj-title><mj-preview>{{preheader}}</mj-preview></mj-head>
  <mj-body background-color="#fafafa">
    <mj-section><mj-column>
      <mj-text font-size="20px">{{heading}}</mj-text>
      <mj-text>Hello from {{appName}}. {{intro}}</mj-text>
      <mj-text font-size="32px" font-family="monospace">{{code}}</mj-text>
      <mj-text>{{expiry}}</mj-text>
      <mj-raw>{{#linkUrl}}</mj-raw>
      <mj-text>{{linkIntro}}</mj-text>
      <mj-button href="{{linkUrl}}" background-color="{{brandColor}}" color="{{brandTextColor}}">{{button}}</mj-button>
      <mj-raw>{{/linkUrl}}</mj-raw>
      <mj-text>{{ignore}} {{sentTo}}</mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>`;

async function invalid(promise: Promise<unknown>): Promise<MailboxChallengeError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(MailboxChallengeError);
  expect((error as MailboxChallengeError).code).toBe('INVALID_INPUT');
  return error as MailboxChallengeError;
}

describe('compileTemplate (mailbox-challenge/templates)', () => {
  it('compiles a host layout once; each create only fills it, translated and escaped', async () => {
    const template = await compileTemplate(HOST_MJML);
    expect(Object.isFrozen(template)).toBe(true);
    expect(template.html).toContain('{{code}}');
    const { code, message, challengeId } = createWithMessage({
      appName: 'Acme & Co',
      locale: 'de',
      template,
      link: { urlTemplate: 'https://acme.example/v?c={challengeId}' },
      brand: { primaryColor: '#7c3aed' },
    });
    expect(message.locale).toBe('de');
    expect(message.subject).toBe('Ihr Anmeldecode für Acme & Co');
    expect(message.html).toContain('<html lang="de" dir="ltr"');
    expect(message.html).toContain(`Hello from Acme &amp; Co.`);
    expect(message.html).toContain(`>${code}</div>`);
    expect(message.html).toContain(`href="https://acme.example/v?c=${challengeId}"`);
    expect(message.html).toContain('background:#7c3aed');
    expect(message.html).toContain(escapeHtml('Bei Acme & Co anmelden'));
    // {{button}} and {{linkIntro}} are the purpose's: "Anmelden" for login, the signup ones for signup.
    expect(message.html).toContain('> Anmelden </a>');
    expect(message.html).toContain('>Oder melden Sie sich mit einem Klick auf diesem Gerät an:</div>');
    const signup = createWithMessage(
      {
        appName: 'Acme',
        locale: 'de',
        template,
        link: { urlTemplate: 'https://acme.example/v?c={challengeId}' },
      },
      { purpose: 'signup' },
    ).message;
    expect(signup.html).toContain('> E-Mail-Adresse bestätigen </a>');
    expect(signup.html).toContain('>Oder bestätigen Sie mit einem Klick auf diesem Gerät:</div>');
    expect(signup.html).not.toContain('Anmelden');
    expect(signup.html).not.toContain('melden Sie sich');
    expect(withoutStyles(message.html)).not.toMatch(LEFTOVER);
    expect(message.text).toContain(`\n${code}\n`);
    expect(message.text).toContain(`https://acme.example/v?c=${challengeId}\n`);
    expect(message.text).toContain('Hello from Acme & Co.');
    expect(message.text).not.toMatch(/[{}]/);

    const withoutLink = createWithMessage({ appName: 'Acme', template }).message;
    expect(withoutLink.html).not.toContain('href=');
    expect(withoutLink.text).not.toContain('https://');
  });

  it('takes a subject of its own and fills lang and dir when the source leaves them out', async () => {
    const template = await compileTemplate(HOST_MJML.replace(' lang="{{lang}}" dir="{{dir}}"', ''), {
      subject: '{{code}} – {{appName}}',
    });
    const { code, message } = createWithMessage({ appName: 'Acme', locale: 'ja', template });
    expect(message.subject).toBe(`${code} – Acme`);
    expect(message.html).toContain('<html lang="ja" dir="ltr"');
  });

  it('reports every problem with a source as INVALID_INPUT on template', async () => {
    const unknown = await invalid(compileTemplate(HOST_MJML.replace('{{intro}}', '{{intro}} {{password}}')));
    expect(unknown.fields).toEqual(['template']);
    expect(unknown.message).toMatch(/unknown slot \{\{password\}\}/);

    const noCode = await invalid(compileTemplate(HOST_MJML.replace('{{code}}', 'no code')));
    expect(noCode.message).toMatch(/never shows \{\{code\}\}/);

    const badMjml = await invalid(
      compileTemplate('<mjml><mj-body><mj-text>{{code}}</mj-text></mj-body></mjml>'),
    );
    expect(badMjml.message).toMatch(/mj-text/);

    const unbalanced = await invalid(compileTemplate(HOST_MJML.replace('<mj-raw>{{/linkUrl}}</mj-raw>', '')));
    expect(unbalanced.message).toMatch(/never closed/);

    const inStyle = await invalid(
      compileTemplate(
        HOST_MJML.replace('<mj-head>', '<mj-head><mj-style>.x { color: {{appName}} }</mj-style>'),
      ),
    );
    expect(inStyle.message).toMatch(/<style> block/);

    const inHref = await invalid(
      compileTemplate(HOST_MJML.replace('href="{{linkUrl}}"', 'href="{{appName}}"')),
    );
    expect(inHref.message).toMatch(/fixed https: or mailto: URL/);

    const script = await invalid(
      compileTemplate(HOST_MJML.replace('href="{{linkUrl}}"', 'href="javascript:{{code}}"')),
    );
    expect(script.message).toMatch(/javascript:\{\{code\}\}" uses a scheme that runs or embeds content/);

    // An include MJML would drop silently is refused without the template's path.
    const include = await invalid(
      compileTemplate(HOST_MJML.replace('<mj-body', '<mj-include path="./head.mjml" /><mj-body')),
    );
    expect(include.message).toMatch(/<mj-include> needs the template's own path/);

    const huge = await invalid(
      compileTemplate(HOST_MJML.replace('{{intro}}', `{{intro}} ${'<b>padding</b> '.repeat(8000)}`)),
    );
    expect(huge.message).toMatch(/Gmail/);

    expect((await invalid(compileTemplate(''))).fields).toEqual(['template']);
    expect((await invalid(compileTemplate(HOST_MJML, { subject: 'a\r\nBcc: x' }))).fields).toEqual([
      'subject',
    ]);
    expect((await invalid(compileTemplate(HOST_MJML, { subject: '{{heading}}' }))).fields).toEqual([
      'subject',
    ]);
  });

  it('resolves <mj-include> relative to the template, so a copy of the built-in layout keeps its head', async () => {
    const filePath = join(ROOT, 'templates/code.mjml');
    const template = await compileTemplate(readFileSync(filePath, 'utf8'), { filePath });
    expect(template.html).toContain('@media (prefers-color-scheme:dark)');
    expect(template.html).toContain('<meta name="format-detection"');
    const created = createMailboxChallenge(
      { email: 'ada@example.com', purpose: 'login', message: { appName: 'Acme', template, locale: 'he' } },
      { keys },
    );
    expect(created.message!.html).toContain('dir="rtl"');
    expect(created.message!.html).toContain(`>${created.code}</div>`);
  });

  it('refuses a hand-made template object it cannot fill', () => {
    const forged = {
      format: 'mailbox-challenge/template@1',
      html: '{{code}} {{secret}}',
      text: '{{code}}',
      subject: null,
    };
    expect(() => createWithMessage({ appName: 'Acme', template: forged as never })).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT', fields: ['message.template'] }),
    );
  });
});
