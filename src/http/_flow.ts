// The part of a flow the handlers use: a `createMailboxFlow` result, or anything with the same methods (a
// wrapper that adds logging, a fake in a host's own tests).
import type { MailboxFlow } from '../flow/create-flow.js';

/** The flow methods the HTTP handlers call. */
export type HandlerFlow = Pick<MailboxFlow, 'start' | 'resend' | 'verify' | 'inspect' | 'cancel' | 'policy'>;
