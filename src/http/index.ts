export {
  type ChallengeAnswer,
  type ChallengeStateLike,
  createMailboxHandlers,
  type HandlerFlow,
  type IssuedLike,
  type LinkPageView,
  type MailboxHandlers,
  type MailboxHandlersOptions,
  type StartBinding,
  statusOf,
} from './handlers.js';
export {
  type NodeHandler,
  type NodeHandlerOptions,
  type NodeRequestLike,
  type NodeResponseLike,
  toNodeHandler,
} from './node.js';
