// The zod/mini functions the other entries use (src/http, src/senders), for them to import instead of zod:
// the ESM build makes the core one module (tsup.config.ts) and sends their imports of core files to it, so
// this keeps an app that loads the core and an entry at one copy of zod. The core itself imports zod/mini.
export {
  array,
  boolean,
  custom,
  literal,
  maximum,
  maxLength,
  minimum,
  minLength,
  object,
  optional,
  pipe,
  refine,
  regex,
  strictObject,
  string,
  transform,
  union,
} from 'zod/mini';
