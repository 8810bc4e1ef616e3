// Entry `mailbox-challenge/locales`: every built-in locale besides English. Importing it once makes them
// available to every email and error message; the core entry stays small without them.
import { installLocales } from './email/_catalog.js';
import { LOCALE_STRINGS } from './email/_compiled-locales.js';

installLocales(LOCALE_STRINGS);

/**
 * The strings of every built-in locale but English (always loaded), as in `templates/locales/*.json`.
 * Importing this entry loads them: one line at start-up.
 *
 * @example
 * ```ts
 * import 'mailbox-challenge/locales'; // before the first email is rendered
 * ```
 */
export { LOCALE_STRINGS };
