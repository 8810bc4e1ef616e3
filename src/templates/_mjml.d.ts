// Minimal typings for the part of mjml 4/5 this package calls (mjml ships none).
declare module 'mjml' {
  interface MjmlError {
    line: number;
    message: string;
    tagName: string;
    formattedMessage: string;
  }
  interface MjmlOptions {
    validationLevel?: 'strict' | 'soft' | 'skip';
    keepComments?: boolean;
    fonts?: Record<string, string>;
    minify?: boolean;
    minifyOptions?: Record<string, unknown>;
    ignoreIncludes?: boolean;
    filePath?: string;
  }
  interface MjmlResult {
    html: string;
    errors: MjmlError[];
  }
  // mjml 5 returns a promise; mjml 4 returns the result directly. `await` handles both.
  export default function mjml2html(source: string, options?: MjmlOptions): MjmlResult | Promise<MjmlResult>;
}
