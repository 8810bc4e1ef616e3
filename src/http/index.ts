export {
  type ChallengeAnswer,
  createMailboxHandlers,
  type HandlerFlow,
  type LinkPageView,
  type MailboxHandlers,
  type MailboxHandlersOptions,
  type StartBinding,
  statusOf,
  type VerifiedContext,
} from './handlers.js';
export {
  type NodeHandler,
  type NodeHandlerOptions,
  type NodeRequestLike,
  type NodeResponseLike,
  toNodeHandler,
} from './node.js';
