import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createMailboxFlow,
  generateKey,
  MailboxChallengeError,
  type MailboxFlowOptions,
  type MailSender,
  type OutgoingMail,
} from '../../src/index.js';
import { type NodemailerSenderOptions, nodemailerSender } from '../../src/senders/nodemailer.js';
import { extractCode } from '../../src/testing/index.js';
import { decodeWords, leafParts, parseMime, startSmtpServer, type TestSmtpServer } from './_smtp.js';

const FROM = 'Acme <no-reply@acme.example>';
const EMAIL = 'Ada@Example.com';

let smtp: TestSmtpServer;
beforeAll(async () => {
  smtp = await startSmtpServer({ rejectRecipient: (address) => address.startsWith('bounce@') });
});
afterAll(() => smtp.stop());
beforeEach(() => {
  smtp.messages.length = 0;
});

/** The real sender, with every OutgoingMail it was given kept for comparison (a tee, not a mock). */
function tee(options: Partial<NodemailerSenderOptions> = {}) {
  const given: OutgoingMail[] = [];
  const real = nodemailerSender(smtp.transport(), { from: FROM, ...options });
  const sender: MailSender = {
    send(mail) {
      given.push(mail);
      return real.send(mail);
    },
  };
  return { sender, given };
}

function flowWith(sender: MailSender, options: Partial<MailboxFlowOptions> = {}) {
  return createMailboxFlow({ keys: [generateKey('t')], appName: 'Acme', sender, ...options });
}

const crlfToLf = (s: string) => s.replace(/\r\n/g, '\n');
// The built-in text part puts the code alone on its line.
const codeInText = (text: string) => /^[ \t]*([0-9A-Z]{6,10})[ \t]*$/m.exec(text)?.[1];

describe('nodemailerSender over SMTP: a full flow', () => {
  it('delivers one message: envelope, From, UTF-8 subject, flow headers, text and HTML; its code verifies', async () => {
    const { sender, given } = tee();
    const flow = flowWith(sender);
    const started = await flow.start({ email: EMAIL, purpose: 'login', locale: 'ja' });
    if (!started.ok) throw started.error;

    expect(smtp.messages).toHaveLength(1);
    const received = smtp.messages[0]!;
    expect(received.mailFrom).toBe('no-reply@acme.example');
    // nodemailer lower-cases the domain (case-insensitive, RFC 5321 §2.4); the local part keeps its case.
    expect(received.rcptTo).toEqual(['Ada@example.com']);
    // 7-bit clean: no server needs SMTPUTF8 or 8BITMIME for it.
    expect(received.raw.every((byte) => byte < 0x80)).toBe(true);

    const message = parseMime(received.raw);
    const sent = given[0]!;
    expect(decodeWords(message.header('From')!)).toBe(FROM);
    expect(message.header('To')).toBe('Ada@example.com');
    const subject = message.header('Subject')!;
    expect(subject).toMatch(/^=\?utf-8\?[BQ]\?/i); // encoded on the wire ...
    expect(decodeWords(subject)).toBe(sent.subject); // ... and read back exactly
    expect(sent.subject).toMatch(/Acme/);
    expect(sent.subject).toMatch(/[\u3040-\u30ff]/); // Japanese, not the English fallback

    for (const name of [
      'Auto-Submitted',
      'X-Entity-Ref-ID',
      'X-Auto-Response-Suppress',
      'From',
      'To',
      'Subject',
    ]) {
      expect(message.headerAll(name), name).toHaveLength(1);
    }
    expect(message.header('Auto-Submitted')).toBe('auto-generated');
    expect(message.header('X-Entity-Ref-ID')).toBe(started.challengeId);
    expect(message.header('X-Auto-Response-Suppress')).toBe('OOF, AutoReply');
    expect(message.header('Message-ID')).toMatch(/@acme\.example>$/);
    expect(message.header('Bcc')).toBeUndefined();
    expect(message.header('Reply-To')).toBeUndefined();

    expect(message.contentType).toBe('multipart/alternative');
    const parts = leafParts(message);
    expect(parts.map((p) => p.contentType)).toEqual(['text/plain', 'text/html']);
    const [text, html] = parts as [(typeof parts)[0], (typeof parts)[0]];
    expect(text.params.charset?.toLowerCase()).toBe('utf-8');
    expect(html.params.charset?.toLowerCase()).toBe('utf-8');
    expect(crlfToLf(text.body)).toBe(crlfToLf(sent.text));
    expect(crlfToLf(html.body)).toBe(crlfToLf(sent.html));
    expect(html.body).toContain('lang="ja"');

    const code = codeInText(text.body);
    expect(code).toMatch(/^[0-9]{6}$/);
    expect(extractCode({ html: html.body, text: '' })).toBe(code);
    const verified = await flow.verify({
      challengeId: started.challengeId,
      secret: started.secret,
      code: code!,
      purpose: 'login',
    });
    expect(verified).toMatchObject({ ok: true, challenge: { email: EMAIL, purpose: 'login' } });
  });

  it('a server refusing the recipient (550): SEND_FAILED with the SMTP error as cause, never in toJSON', async () => {
    const flow = flowWith(nodemailerSender(smtp.transport(), { from: FROM }));
    const r = await flow.start({ email: 'bounce@example.com', purpose: 'signup' });
    expect(r).toMatchObject({ ok: false, error: { code: 'SEND_FAILED' } });
    if (r.ok) return;
    expect(r.error).toBeInstanceOf(MailboxChallengeError);
    expect(r.error.cause).toBeInstanceOf(Error);
    expect(r.error.cause).toMatchObject({ responseCode: 550 });
    expect(JSON.stringify(r.error)).not.toMatch(/550|Mailbox unavailable/);
    expect(smtp.messages).toHaveLength(0);
  });

  it('sender headers reach the wire; the flow headers win a clash, compared case-insensitively', async () => {
    const flow = flowWith(
      nodemailerSender(smtp.transport(), {
        from: FROM,
        headers: { 'X-Acme-Stream': 'transactional', 'auto-submitted': 'no', 'x-entity-ref-id': 'fixed' },
      }),
      { headers: { 'X-Acme-Flow': 'yes' } },
    );
    const started = await flow.start({ email: EMAIL, purpose: 'login' });
    if (!started.ok) throw started.error;
    const message = parseMime(smtp.messages[0]!.raw);
    expect(message.header('X-Acme-Stream')).toBe('transactional');
    expect(message.header('X-Acme-Flow')).toBe('yes');
    expect(message.headerAll('Auto-Submitted')).toEqual(['auto-generated']);
    expect(message.headerAll('X-Entity-Ref-ID')).toEqual([started.challengeId]);
  });

  it('replyTo and a non-ASCII display name are encoded and read back', async () => {
    const flow = flowWith(
      nodemailerSender(smtp.transport(), {
        from: { name: 'Acme 株式会社', address: 'no-reply@acme.example' },
        replyTo: '"Acme, Help" <help@acme.example>',
      }),
    );
    expect((await flow.start({ email: EMAIL, purpose: 'login' })).ok).toBe(true);
    const message = parseMime(smtp.messages[0]!.raw);
    expect(decodeWords(message.header('From')!)).toBe('Acme 株式会社 <no-reply@acme.example>');
    expect(message.header('Reply-To')).toBe('"Acme, Help" <help@acme.example>');
  });

  it('mapMail gets the OutgoingMail and the options, and what it returns is sent', async () => {
    const seen: Array<[OutgoingMail, Record<string, unknown>]> = [];
    const flow = flowWith(
      nodemailerSender(smtp.transport(), {
        from: FROM,
        mapMail: (mail, options) => {
          seen.push([mail, { ...options }]);
          return { ...options, headers: { ...options.headers, 'X-Mailgun-Tag': mail.purpose } };
        },
      }),
    );
    const started = await flow.start({ email: EMAIL, purpose: 'email-change', locale: 'de' });
    if (!started.ok) throw started.error;
    expect(seen).toHaveLength(1);
    const [mail, options] = seen[0]!;
    expect(mail).toMatchObject({
      to: EMAIL,
      purpose: 'email-change',
      locale: 'de',
      challengeId: started.challengeId,
    });
    expect(options).toMatchObject({
      to: EMAIL,
      from: { name: 'Acme', address: 'no-reply@acme.example' },
      subject: mail.subject,
      text: mail.text,
      html: mail.html,
      disableFileAccess: true,
      disableUrlAccess: true,
      maxRecipients: 1,
    });
    expect(parseMime(smtp.messages[0]!.raw).header('X-Mailgun-Tag')).toBe('email-change');
  });

  it('no message can make nodemailer read a local file or fetch a URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-nodemailer-'));
    const secretFile = join(dir, 'secret.txt');
    writeFileSync(secretFile, 'TOP-SECRET-FILE-CONTENT');
    let fetched = 0;
    const http = createServer((_req, res) => {
      fetched++;
      res.end('TOP-SECRET-URL-CONTENT');
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/secret`;
    try {
      // Each would be a way for message data to name something for nodemailer to load.
      const attempts: Array<Record<string, unknown>> = [
        { attachments: [{ path: secretFile }] },
        { attachments: [{ path: url }] },
        { text: { path: secretFile } },
        { html: { href: url } },
      ];
      for (const extra of attempts) {
        const flow = flowWith(
          nodemailerSender(smtp.transport(), {
            from: FROM,
            mapMail: (_mail, options) => ({ ...options, ...extra }),
          }),
        );
        const r = await flow.start({ email: EMAIL, purpose: 'login' });
        expect(r, JSON.stringify(extra)).toMatchObject({ ok: false, error: { code: 'SEND_FAILED' } });
        // Refused before any byte is read; over SMTP an attachment's refusal surfaces as the DATA stream's error.
        if (!r.ok)
          expect(r.error.cause).toMatchObject({ message: expect.stringMatching(/access rejected/i) });
      }
      expect(fetched).toBe(0);
      expect(smtp.messages).toHaveLength(0);
    } finally {
      await new Promise<void>((resolve) => http.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("an address header among the flow's headers is refused when the flow is created, and by send() itself", async () => {
    const sender = nodemailerSender(smtp.transport(), { from: FROM });
    for (const name of ['Bcc', 'cc', 'To', 'From', 'Subject', 'Content-Type']) {
      expect(() => flowWith(sender, { headers: { [name]: 'eve@evil.example' } }), name).toThrow(
        expect.objectContaining({ code: 'INVALID_INPUT', fields: [`headers.${name}`] }),
      );
      // A host calling the sender directly (or a flow built some other way) gets the same refusal.
      const error = await sender
        .send({
          to: EMAIL,
          subject: 'Your code',
          html: '<p>123456</p>',
          text: '123456',
          headers: { [name]: 'eve@evil.example' },
          challengeId: 'c1',
          purpose: 'login',
          locale: 'en',
        })
        .catch((e: unknown) => e);
      expect(error, name).toMatchObject({ code: 'INVALID_INPUT', fields: [`headers.${name}`] });
    }
    expect(smtp.messages).toHaveLength(0);
  });

  it('send() called directly re-checks the mail: a line break or a second recipient is INVALID_INPUT', async () => {
    const sender = nodemailerSender(smtp.transport(), { from: FROM });
    const mail: OutgoingMail = {
      to: EMAIL,
      subject: 'Your code',
      html: '<p>123456</p>',
      text: '123456',
      headers: {},
      challengeId: 'c1',
      purpose: 'login',
      locale: 'en',
    };
    const bad: Array<[Partial<OutgoingMail>, string]> = [
      [{ subject: 'Your code\r\nBcc: eve@evil.example' }, 'subject'],
      [{ headers: { 'X-Ref': 'a\nBcc: eve@evil.example' } }, 'headers.X-Ref'],
      [{ to: `${EMAIL}, eve@evil.example` }, 'to'],
      [{ to: `${EMAIL}\r\nRCPT TO:<eve@evil.example>` }, 'to'],
    ];
    for (const [change, field] of bad) {
      const error = await sender.send({ ...mail, ...change }).catch((e: unknown) => e);
      expect(error, field).toMatchObject({ code: 'INVALID_INPUT', fields: [field] });
    }
    expect(smtp.messages).toHaveLength(0);
    await sender.send(mail);
    expect(smtp.messages).toHaveLength(1);
  });
});

describe('nodemailerSender options', () => {
  const transport = { sendMail: async () => ({}) };
  const fieldsOf = (fn: () => unknown) => {
    try {
      fn();
    } catch (e) {
      expect(e).toBeInstanceOf(MailboxChallengeError);
      expect((e as MailboxChallengeError).code).toBe('INVALID_INPUT');
      return (e as MailboxChallengeError).fields;
    }
    throw new Error('expected INVALID_INPUT');
  };

  it('from with CR or LF is INVALID_INPUT naming from', () => {
    const cases: Array<[NodemailerSenderOptions['from'], string]> = [
      ['Acme <no-reply@acme.example>\r\nBcc: eve@evil.example', 'from'],
      ['no-reply@acme.example\nBcc: eve@evil.example', 'from'],
      ['Acme\r\n <no-reply@acme.example>', 'from'],
      [{ name: 'Acme\r\nBcc: eve@evil.example', address: 'no-reply@acme.example' }, 'from.name'],
      [{ name: 'Acme', address: 'no-reply@acme.example\r\n' }, 'from.address'],
    ];
    for (const [from, field] of cases) {
      expect(
        fieldsOf(() => nodemailerSender(transport, { from })),
        JSON.stringify(from),
      ).toContain(field);
    }
  });

  it('from must be exactly one address', () => {
    for (const from of [
      'a@acme.example, b@acme.example',
      'Acme <a@acme.example>, b@acme.example',
      'b@acme.example, Acme <a@acme.example>',
      'Acme <a@acme.example> <b@acme.example>',
      'Acme, Inc. <a@acme.example>', // unquoted comma: reads as a list
      'undisclosed: a@acme.example;', // a group
      'not an address',
      'Acme <>',
      '',
    ]) {
      expect(
        fieldsOf(() => nodemailerSender(transport, { from })),
        from,
      ).toEqual(['from']);
    }
    expect(fieldsOf(() => nodemailerSender(transport, {} as NodemailerSenderOptions))).toEqual(['from']);
  });

  it('accepts the usual forms of from', () => {
    for (const from of [
      'no-reply@acme.example',
      'Acme <no-reply@acme.example>',
      '"Acme, Inc." <no-reply@acme.example>',
      ' Acme  <no-reply@acme.example> ',
      'Acme 株式会社 <no-reply@acme.example>',
      { address: 'no-reply@acme.example' },
      { name: '', address: 'no-reply@acme.example' },
      { name: 'Acme', address: 'no-reply@acme.example' },
    ]) {
      expect(() => nodemailerSender(transport, { from })).not.toThrow();
    }
  });

  it('replyTo, headers, mapMail, transport and unknown options are checked, naming the field', () => {
    const cases: Array<[() => unknown, string[]]> = [
      [
        () => nodemailerSender(transport, { from: FROM, replyTo: 'help@acme.example\r\nBcc: x@y.example' }),
        ['replyTo'],
      ],
      [
        () => nodemailerSender(transport, { from: FROM, headers: { 'X-A': 'a\r\nBcc: x@y.example' } }),
        ['headers.X-A'],
      ],
      [() => nodemailerSender(transport, { from: FROM, headers: { 'X-A': 'a\u2028b' } }), ['headers.X-A']],
      [() => nodemailerSender(transport, { from: FROM, headers: { Bcc: 'x@y.example' } }), ['headers.Bcc']],
      [
        () => nodemailerSender(transport, { from: FROM, headers: { 'reply-to': 'x@y.example' } }),
        ['headers.reply-to'],
      ],
      [() => nodemailerSender(transport, { from: FROM, headers: { 'X A': 'b' } }), ['headers.X A']],
      [() => nodemailerSender(transport, { from: FROM, mapMail: 'tag' as never }), ['mapMail']],
      [() => nodemailerSender(transport, { from: FROM, replyto: 'x@y.example' } as never), ['replyto']],
      [() => nodemailerSender({} as never, { from: FROM }), ['transport']],
      [() => nodemailerSender(undefined as never, { from: FROM }), ['transport']],
    ];
    for (const [fn, fields] of cases) expect(fieldsOf(fn), fields.join()).toEqual(fields);
  });

  it('a header injection through appName is refused when the flow is created', () => {
    const sender = nodemailerSender(transport, { from: FROM });
    for (const appName of ['Acme\r\nBcc: eve@evil.example', 'Acme\nSubject: free money', 'Acme\u2028x']) {
      const error = (() => {
        try {
          createMailboxFlow({ keys: [generateKey('t')], appName, sender });
        } catch (e) {
          return e;
        }
      })();
      expect(error, JSON.stringify(appName)).toBeInstanceOf(MailboxChallengeError);
      expect(error).toMatchObject({ code: 'INVALID_INPUT' });
      expect((error as MailboxChallengeError).fields).toContain('appName');
    }
  });

  it('sendMail errors reject unchanged', async () => {
    const failure = new Error('connection refused');
    const sender = nodemailerSender(
      {
        sendMail: async () => {
          throw failure;
        },
      },
      { from: FROM },
    );
    const mail = {
      to: EMAIL,
      subject: 's',
      html: 'h',
      text: 't',
      headers: {},
      challengeId: 'c',
      purpose: 'login',
      locale: 'en',
    };
    await expect(sender.send(mail)).rejects.toBe(failure);
  });
});
