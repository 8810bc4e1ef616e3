import { describe, expect, it } from 'vitest';
import { ENGLISH } from '../../src/email/_compiled.js';
import { SUPPORTED_LOCALES } from '../../src/email/locale.js';
import { describeError, MailboxChallengeError, type MailboxChallengeErrorCode } from '../../src/index.js';

const CODES = Object.keys(ENGLISH.errors) as MailboxChallengeErrorCode[];

describe('describeError', () => {
  it('has a message for every error code in every locale, each its own', () => {
    expect(CODES).toHaveLength(10);
    for (const locale of SUPPORTED_LOCALES) {
      const messages = CODES.map((code) => describeError(code, { locale }).message);
      expect(new Set(messages).size, locale).toBe(CODES.length);
      if (locale !== 'en')
        for (const m of messages) expect(CODES.map((c) => ENGLISH.errors[c])).not.toContain(m);
    }
  });

  it('negotiates like the emails: explicit locale, then Accept-Language, then English', () => {
    expect(describeError('INVALID_CODE', { acceptLanguage: 'de-AT,de;q=0.9' })).toEqual({
      locale: 'de',
      dir: 'ltr',
      message: 'Dieser Code stimmt nicht. Bitte prüfen Sie ihn und versuchen Sie es erneut.',
    });
    expect(describeError('CHALLENGE_EXPIRED', { locale: 'fr', acceptLanguage: 'de' }).locale).toBe('fr');
    expect(describeError('INVALID_CODE', { acceptLanguage: 'ar' })).toMatchObject({
      locale: 'ar',
      dir: 'rtl',
    });
    expect(describeError('CHALLENGE_EXPIRED', { locale: 'zh-TW' }).message).toBe(
      '此驗證碼已過期。請重新取得。',
    );
    expect(describeError('RATE_LIMITED', { acceptLanguage: 'xx' })).toEqual({
      locale: 'en',
      dir: 'ltr',
      message: 'Too many emails have been sent to this address. Please wait a little, then try again.',
    });
  });

  it('takes the error itself, and host overrides per locale and code', () => {
    const error = new MailboxChallengeError('INVALID_CODE');
    const overrides = { de: { INVALID_CODE: 'Falscher Code, versuch es nochmal.' } };
    expect(describeError(error, { locale: 'de', overrides }).message).toBe(
      'Falscher Code, versuch es nochmal.',
    );
    expect(describeError(error, { locale: 'fr', overrides }).message).toBe(
      'Ce code est incorrect. Vérifiez-le et réessayez.',
    );
    expect(describeError('SEND_FAILED', { locale: 'de', overrides }).message).toMatch(/^Die E-Mail konnte/);
  });

  it('uses the locales a host registered and the error strings it overrode', () => {
    const locales = { de: { strings: { errors: { INVALID_CODE: 'Falscher Code.' } } } };
    expect(describeError('INVALID_CODE', { locale: 'de', locales }).message).toBe('Falscher Code.');
    expect(describeError('INVALID_CODE', { locale: 'fr', locales }).message).toBe(
      'Ce code est incorrect. Vérifiez-le et réessayez.',
    );
  });

  it('never throws: an unknown code or a non-object reads as INVALID_INPUT', () => {
    const fallback = describeError('INVALID_INPUT').message;
    for (const bad of ['NOPE', '__proto__', 'toString', null, undefined, 42, {}] as unknown[]) {
      expect(describeError(bad as MailboxChallengeErrorCode).message).toBe(fallback);
    }
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    expect(describeError(hostile as never).message).toBe(fallback);
    expect(
      describeError('INVALID_CODE', { locales: { de: { strings: 42 } } as never, locale: 'de' }).message,
    ).toMatch(/^Dieser Code/);
    expect(describeError('INVALID_CODE', hostile as never)).toEqual({
      locale: 'en',
      dir: 'ltr',
      message: 'That code is not right. Please check it and try again.',
    });
  });
});
