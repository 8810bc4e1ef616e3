// Entry `mailbox-challenge/templates`: compile your own MJML once at start-up. Loads mjml and html-to-text
// (lazily, on the first compile); the core entry never does.
export type { CompiledTemplate } from '../email/compiled-template.js';
export { type CompileTemplateOptions, compileTemplate } from './compile.js';
