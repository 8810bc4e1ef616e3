import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ConsoleSenderOptions,
  consoleSender,
  createMailboxFlow,
  generateKey,
  type MailSender,
  type OutgoingMail,
} from '../../src/index.js';

const EMAIL = 'Ada@Example.com';

/** A flow whose emails go to consoleSender, with every OutgoingMail kept to compare against the output. */
function setup(options: ConsoleSenderOptions) {
  const given: OutgoingMail[] = [];
  const real = consoleSender(options);
  const sender: MailSender = {
    send(mail) {
      given.push(mail);
      return real.send(mail);
    },
  };
  const flow = createMailboxFlow({ keys: [generateKey('t')], appName: 'Acme', sender });
  return { flow, given };
}

/** The body lines of one printed email, without the frame. */
const bodyOf = (output: string) =>
  output
    .split('\n')
    .slice(3, -1)
    .map((line) => line.replace(/^│ ?/, ''))
    .join('\n');

describe('consoleSender', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes recipient, purpose, locale, subject and the text with the code as one log call', async () => {
    const lines: string[] = [];
    const { flow, given } = setup({ log: (line) => lines.push(line) });
    const started = await flow.start({ email: EMAIL, purpose: 'login', acceptLanguage: 'de-CH,de;q=0.9' });
    if (!started.ok) throw started.error;

    expect(lines).toHaveLength(1);
    const output = lines[0]!;
    const mail = given[0]!;
    const [first, second] = output.split('\n');
    expect(first).toBe(`┌─ mailbox-challenge: email to ${EMAIL} (login, de)`);
    expect(second).toBe(`│ Subject: ${mail.subject}`);
    expect(output.endsWith('\n└─')).toBe(true);
    expect(bodyOf(output)).toBe(mail.text);
    expect(output).not.toContain('<html');

    // The code as printed is the code the flow accepts.
    const code = /^│ +([0-9]{6})$/m.exec(output)?.[1];
    expect(code).toBeDefined();
    const verified = await flow.verify({
      challengeId: started.challengeId,
      secret: started.secret,
      code: code!,
      purpose: 'login',
    });
    expect(verified.ok).toBe(true);
  });

  it('html: true prints the HTML part after the text', async () => {
    const lines: string[] = [];
    const { flow, given } = setup({ log: (line) => lines.push(line), html: true });
    expect((await flow.start({ email: EMAIL, purpose: 'signup' })).ok).toBe(true);
    const mail = given[0]!;
    expect(bodyOf(lines[0]!)).toBe(`${mail.text}\n\n${mail.html}`);
    expect(lines[0]).toMatch(/<html[^>]*>[\s\S]*<\/html>/);
  });

  it('writes to console.log by default', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    const sender = consoleSender();
    await sender.send({
      to: EMAIL,
      subject: 'Your Acme code',
      text: 'Your code:\n\n123456',
      html: '<p>123456</p>',
      headers: {},
      challengeId: 'c1',
      purpose: 'login',
      locale: 'en',
    });
    expect(log).toHaveBeenCalledTimes(1);
    expect(log.mock.calls[0]![0]).toBe(
      [
        `┌─ mailbox-challenge: email to ${EMAIL} (login, en)`,
        '│ Subject: Your Acme code',
        '│',
        '│ Your code:',
        '│ ',
        '│ 123456',
        '└─',
      ].join('\n'),
    );
  });

  describe('under NODE_ENV=production', () => {
    afterEach(() => vi.unstubAllEnvs());
    const mail = {
      to: EMAIL,
      subject: 's',
      text: '123456',
      html: '<p>123456</p>',
      headers: {},
      challengeId: 'c1',
      purpose: 'login',
      locale: 'en',
    };

    it('warns when created and with every email', async () => {
      vi.stubEnv('NODE_ENV', 'production');
      const warnings: string[] = [];
      const sender = consoleSender({ log: () => undefined, warn: (line) => warnings.push(line) });
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/WARNING: consoleSender .* NODE_ENV=production/);
      expect(warnings[0]).toMatch(/anyone who can read the logs can sign in/);
      await sender.send(mail);
      await sender.send(mail);
      expect(warnings).toHaveLength(3);
    });

    it('warns on console.warn by default', () => {
      vi.stubEnv('NODE_ENV', 'production');
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
      consoleSender({ log: () => undefined });
      expect(warn).toHaveBeenCalledTimes(1);
    });

    it('says nothing in development', async () => {
      vi.stubEnv('NODE_ENV', 'development');
      const warnings: string[] = [];
      await consoleSender({ log: () => undefined, warn: (line) => warnings.push(line) }).send(mail);
      expect(warnings).toEqual([]);
    });
  });
});
