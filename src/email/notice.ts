import * as z from 'zod/mini';
import { parseEmail } from '../lib/_address.js';
import { emailField, lazySchema, parseInput } from '../lib/_schema.js';
import { fill, messageValues, preparedNotice } from './_prepare.js';
import { type MessageOptions, messageOptionsSchema, type RenderedMessage, resolveMessage } from './render.js';

/** Input of {@link renderEmailChangeNotice}: the two addresses and the same options as a code email. */
export interface EmailChangeNoticeInput extends Omit<MessageOptions, 'link' | 'codeInSubject' | 'template'> {
  /** The current (old) address: the notice is sent here. */
  email: string;
  /** The address the account is being changed to: shown highlighted. */
  newEmail: string;
}

const noticeInputSchema = lazySchema(() => z.looseObject({ email: emailField(), newEmail: emailField() }));

/**
 * Renders a notice to an old address from options already validated by `messageOptionsSchema()` (the flow's
 * `notifyEmailChange` uses this). `link`, `codeInSubject` and `template` concern code emails and are ignored.
 */
export function renderNotice(args: {
  email: string;
  newEmail: string;
  options: MessageOptions;
}): RenderedMessage {
  const { locale, catalog, host } = resolveMessage(args.options);
  const strings = catalog.strings(locale);
  const filled = fill(
    preparedNotice(strings),
    messageValues(locale, strings.dir, host, {
      email: parseEmail(args.email)?.address ?? args.email,
      newEmail: parseEmail(args.newEmail)?.address ?? args.newEmail,
      recipientName: args.options.recipientName,
    }),
    false,
  );
  return {
    subject: filled.subject,
    html: filled.html,
    text: filled.text,
    locale,
    ...(args.options.recipientName !== undefined && { recipientName: args.options.recipientName }),
  };
}

/**
 * Renders the notice for the *old* address when an account's address is being changed: who asked, the new
 * address highlighted, that the change needs the code sent there, and what to do if it was not them (change
 * the password when `notice.hasPassword`, otherwise check the account), with an optional "this wasn't me"
 * button (`notice.notMeUrl`) and support link (`notice.supportUrl`). Send it when the email-change challenge
 * to the new address is created, so a hijacker cannot move the account silently.
 *
 * @param input - Old and new address, and the same options as a code email (app name, locale, brand, texts).
 * @returns Subject, HTML, plain text and the locale chosen.
 * @throws MailboxChallengeError `INVALID_INPUT` with `fields` for a bad address, app name or option.
 * @example
 * ```ts
 * import { renderEmailChangeNotice } from 'mailbox-challenge';
 *
 * const notice = renderEmailChangeNotice({
 *   appName: 'Acme', email: 'ada@example.com', newEmail: 'ada@new.example',
 *   acceptLanguage: 'fr-FR,fr;q=0.9',
 *   notice: { hasPassword: true, notMeUrl: 'https://acme.example/account/not-me' },
 * });
 * console.log(notice.subject, notice.locale);
 * ```
 */
export function renderEmailChangeNotice(input: EmailChangeNoticeInput): RenderedMessage {
  const { email, newEmail, ...rest } = parseInput(
    noticeInputSchema(),
    input,
  ) as unknown as EmailChangeNoticeInput;
  const options = parseInput(messageOptionsSchema(), rest);
  return renderNotice({ email, newEmail, options });
}
