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
});
