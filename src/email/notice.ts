import { z } from 'zod';
import { parseEmail } from '../lib/_address.js';
import { emailField, parseInput } from '../lib/_schema.js';
import { fill, messageValues, preparedNotice } from './_render.js';
import { negotiateLocale } from './locale.js';
import {
  acceptLanguageField,
  appNameField,
  brandField,
  localeField,
  type MessageOptions,
  type RenderedMessage,
  supportTextField,
} from './render.js';

/** Input of {@link renderEmailChangeNotice}. */
export interface EmailChangeNoticeInput {
  /** Your product's name. 1-64 characters, no line breaks. */
  appName: string;
  /** The current (old) address: the notice is sent here. */
  email: string;
  /** The address the account is being changed to. */
  newEmail: string;
  locale?: string;
  acceptLanguage?: string;
  brand?: MessageOptions['brand'];
  supportText?: string;
}

const noticeInputSchema = z
  .object({
    appName: appNameField,
    email: emailField,
    newEmail: emailField,
    locale: localeField,
    acceptLanguage: acceptLanguageField,
    brand: brandField.optional(),
    supportText: supportTextField.optional(),
  })
  .strict();

/**
 * Renders the notice for the *old* address when an account's address is being changed: "someone asked to
 * change your address from A to B; if it was not you, do not confirm and secure your account". Send it when
 * the email-change challenge to the new address is created, so a hijacker cannot move the account silently.
 *
 * @param input - App name, old and new address, and the same locale and brand options as a code email.
 * @returns Subject, HTML, plain text and the locale chosen.
 * @throws MailboxChallengeError `INVALID_INPUT` with `fields` for a bad address, app name or option.
 * @example
 * ```ts
 * const notice = renderEmailChangeNotice({
 *   appName: 'Acme', email: user.email, newEmail: req.body.newEmail,
 *   acceptLanguage: req.headers['accept-language'],
 * });
 * await mailer.send({ to: user.email, subject: notice.subject, html: notice.html, text: notice.text });
 * ```
 */
export function renderEmailChangeNotice(input: EmailChangeNoticeInput): RenderedMessage {
  const options = parseInput(noticeInputSchema, input);
  const locale = negotiateLocale(options.locale, options.acceptLanguage);
  return fill(
    locale,
    preparedNotice(locale),
    messageValues(locale, options, {
      email: parseEmail(options.email)!.address,
      newEmail: parseEmail(options.newEmail)!.address,
    }),
    false,
  );
}
