// Extracts code examples (TSDoc `@example` blocks in src/, fenced ts blocks in Markdown) and type-checks
// each as a module of its own, the way a user would paste it:
// - `mailbox-challenge` and its subpaths resolve to src/ (a paths map built from package.json's exports);
// - library names the example uses but does not import are imported for it, from the public entry that
//   exports them (else from the file the example documents), so renaming an export breaks its examples;
// - host names it uses but does not define (req, keys, flow...) are declared from HostContext
//   (example-context.ts); any other free name is an error, as it would be for the user.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';

export const root = join(import.meta.dirname, '../..');

/** Where each package subpath's source lives. A test holds this to package.json's exports. */
export const ENTRY_SOURCES: Record<string, string> = {
  'mailbox-challenge': 'src/index.ts',
  'mailbox-challenge/redis': 'src/stores/redis.ts',
  'mailbox-challenge/postgres': 'src/stores/postgres.ts',
  'mailbox-challenge/nodemailer': 'src/senders/nodemailer.ts',
  'mailbox-challenge/templates': 'src/templates/index.ts',
  'mailbox-challenge/testing': 'src/testing/index.ts',
  'mailbox-challenge/locales': 'src/locales.ts',
  'mailbox-challenge/http': 'src/http/index.ts',
};

export interface Example {
  /** `src/keys.ts:38` (where the code starts) */
  id: string;
  file: string;
  /** 1-based line in `file` of the example's first code line. */
  line: number;
  /** The documented symbol (for TSDoc) or the heading above it (for Markdown). */
  symbol: string;
  code: string;
}

const CODE_LANGS = new Set(['', 'ts', 'typescript', 'js', 'javascript', 'mts', 'tsx']);

function walk(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((d) => {
    const path = `${dir}/${d.name}`;
    if (d.isDirectory()) return walk(path);
    return d.name.endsWith('.ts') && !d.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Fenced blocks in `lines` (comment text, stars removed): their language, first line index and code. */
function fences(lines: string[]): { lang: string; start: number; code: string }[] {
  const out: { lang: string; start: number; code: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^\s*```(\w*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^\s*```\s*$/.test(lines[end]!)) end++;
    out.push({ lang: open[1]!.toLowerCase(), start, code: lines.slice(start, end).join('\n') });
    i = end;
  }
  return out;
}

/** Every `@example` in the TSDoc of src/**\/*.ts. */
export function tsdocExamples(): Example[] {
  const out: Example[] = [];
  for (const file of walk('src')) {
    const text = readFileSync(join(root, file), 'utf8');
    for (const m of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
      const firstLine = text.slice(0, m.index).split('\n').length;
      const lines = m[1]!.split('\n').map((l) => l.replace(/^\s*\* ?/, ''));
      const after = text.slice(m.index + m[0].length);
      const symbol =
        /^\s*(?:export\s+)?(?:default\s+)?(?:declare\s+)?(?:async\s+)?(?:function\*?|class|interface|type|const|let|enum|abstract\s+class)?\s*([A-Za-z_$][\w$]*)/.exec(
          after,
        )?.[1] ?? '?';
      // An @example runs to the next block tag outside a fence.
      let inFence = false;
      let section: number | undefined;
      const sections: [number, number][] = [];
      lines.forEach((l, i) => {
        if (/^\s*```/.test(l)) inFence = !inFence;
        if (!inFence && /^\s*@\w+/.test(l)) {
          if (section !== undefined) sections.push([section, i]);
          section = /^\s*@example\b/.test(l) ? i : undefined;
        }
      });
      if (section !== undefined) sections.push([section, lines.length]);
      for (const [from, to] of sections) {
        const body = lines.slice(from + 1, to);
        const blocks = fences(body);
        // TSDoc: an @example without a fence is code in its entirety.
        const codeBlocks = blocks.length
          ? blocks.filter((b) => CODE_LANGS.has(b.lang))
          : [{ lang: '', start: 0, code: body.join('\n') }];
        for (const b of codeBlocks) {
          if (!b.code.trim()) continue;
          const line = firstLine + from + 1 + b.start;
          out.push({ id: `${file}:${line}`, file, line, symbol, code: b.code });
        }
      }
    }
  }
  return out;
}

/** Fenced ts blocks in a Markdown file. */
export function markdownExamples(file: string): Example[] {
  const lines = readFileSync(join(root, file), 'utf8').split('\n');
  return fences(lines)
    .filter((b) => ['ts', 'typescript'].includes(b.lang))
    .map((b) => {
      const heading = lines
        .slice(0, b.start)
        .reverse()
        .find((l) => /^#{1,6} /.test(l));
      return {
        id: `${file}:${b.start + 1}`,
        file,
        line: b.start + 1,
        symbol: heading?.replace(/^#+ /, '') ?? '',
        code: b.code,
      };
    });
}

// --- type-checking -------------------------------------------------------------------------------------

/** Names an example binds at its top level (imports and declarations) and every identifier it mentions. */
function scan(code: string): { bound: Set<string>; used: Set<string> } {
  const sf = ts.createSourceFile('x.ts', code, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const bound = new Set<string>();
  const bindName = (n: ts.BindingName) => {
    if (ts.isIdentifier(n)) bound.add(n.text);
    else for (const e of n.elements) if (!ts.isOmittedExpression(e)) bindName(e.name);
  };
  for (const s of sf.statements) {
    if (ts.isImportDeclaration(s) && s.importClause) {
      const c = s.importClause;
      if (c.name) bound.add(c.name.text);
      const nb = c.namedBindings;
      if (nb && ts.isNamespaceImport(nb)) bound.add(nb.name.text);
      if (nb && ts.isNamedImports(nb)) for (const e of nb.elements) bound.add(e.name.text);
    } else if (ts.isVariableStatement(s)) {
      for (const d of s.declarationList.declarations) bindName(d.name);
    } else if (
      (ts.isFunctionDeclaration(s) ||
        ts.isClassDeclaration(s) ||
        ts.isInterfaceDeclaration(s) ||
        ts.isTypeAliasDeclaration(s)) &&
      s.name
    ) {
      bound.add(s.name.text);
    }
  }
  const used = new Set<string>();
  const visit = (n: ts.Node) => {
    if (ts.isIdentifier(n)) used.add(n.text);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return { bound, used };
}

export interface CheckedExample extends Example {
  /** Diagnostics, each `line:col message`, with lines counted in the example's own file. */
  errors: string[];
}

const VIRTUAL_DIR = join(root, 'test/docs/__examples__');

function compilerOptions(): ts.CompilerOptions {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config;
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  const paths: Record<string, string[]> = {};
  for (const [spec, src] of Object.entries(ENTRY_SOURCES)) paths[spec] = [`./${src}`];
  return {
    ...options,
    noEmit: true,
    // What a user's project is likely to have, not this repo's stricter import style.
    verbatimModuleSyntax: false,
    isolatedModules: false,
    noUnusedLocals: false,
    noUnusedParameters: false,
    paths,
    baseUrl: root,
  };
}

export function checkExamples(examples: Example[]): CheckedExample[] {
  const options = compilerOptions();
  const contextPath = join(root, 'test/docs/example-context.ts');

  // A first program over the entries: which names each exports, and which each documented file exports.
  const sourcesOf = [...new Set([...Object.values(ENTRY_SOURCES), ...examples.map((e) => e.file)])]
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(root, f))
    .filter((f) => ts.sys.fileExists(f));
  const base = ts.createProgram([...sourcesOf, contextPath], options);
  const checker = base.getTypeChecker();
  const exportsOf = (file: string): string[] => {
    const sf = base.getSourceFile(file);
    const symbol = sf && checker.getSymbolAtLocation(sf);
    return symbol ? checker.getExportsOfModule(symbol).map((s) => s.name) : [];
  };
  const publicNames = new Map<string, string>();
  for (const [spec, src] of Object.entries(ENTRY_SOURCES)) {
    for (const name of exportsOf(join(root, src))) if (!publicNames.has(name)) publicNames.set(name, spec);
  }
  const contextSf = base.getSourceFile(contextPath)!;
  const hostType = checker.getDeclaredTypeOfSymbol(
    checker
      .getExportsOfModule(checker.getSymbolAtLocation(contextSf)!)
      .find((s) => s.name === 'HostContext')!,
  );
  const hostNames = new Set(checker.getPropertiesOfType(hostType).map((p) => p.name));

  const files = new Map<string, { example: Example; header: number; text: string }>();
  examples.forEach((example, i) => {
    const path = join(VIRTUAL_DIR, `${i}-${example.file.replace(/[/.]/g, '_')}-${example.line}.ts`);
    const { bound, used } = scan(example.code);
    const free = [...used].filter((n) => !bound.has(n));
    const own = example.file.startsWith('src/') ? new Set(exportsOf(join(root, example.file))) : new Set();
    const imports = new Map<string, string[]>();
    const add = (spec: string, name: string) => imports.set(spec, [...(imports.get(spec) ?? []), name]);
    const host: string[] = [];
    for (const name of free) {
      const spec = publicNames.get(name);
      if (spec) add(spec, name);
      else if (own.has(name)) {
        const rel = relative(VIRTUAL_DIR, join(root, example.file)).replace(/\.ts$/, '.js');
        add(rel.startsWith('.') ? rel : `./${rel}`, name);
      } else if (hostNames.has(name)) host.push(name);
    }
    const header = [
      ...[...imports].map(([spec, names]) => `import { ${names.join(', ')} } from '${spec}';`),
      ...(host.length
        ? [
            `import type { HostContext } from '${relative(VIRTUAL_DIR, contextPath).replace(/\.ts$/, '.js')}';`,
            ...host.map((n) => `declare const ${n}: HostContext['${n}'];`),
          ]
        : []),
    ];
    files.set(path, {
      example,
      header: header.length,
      text: `${header.join('\n')}\n${example.code}\nexport {};\n`,
    });
  });

  const host = ts.createCompilerHost(options);
  const { fileExists, readFile, getSourceFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists(f);
  host.readFile = (f) => files.get(f)?.text ?? readFile(f);
  host.getSourceFile = (f, lang, onError, create) => {
    const v = files.get(f);
    return v ? ts.createSourceFile(f, v.text, lang, true) : getSourceFile(f, lang, onError, create);
  };
  host.directoryExists = (d) =>
    d === VIRTUAL_DIR || d.startsWith(`${VIRTUAL_DIR}/`) || ts.sys.directoryExists(d);
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host, oldProgram: base });

  return [...files].map(([path, { example, header }]) => {
    const sf = program.getSourceFile(path)!;
    const diagnostics = [...program.getSyntacticDiagnostics(sf), ...program.getSemanticDiagnostics(sf)];
    const errors = diagnostics.map((d) => {
      const { line, character } = sf.getLineAndCharacterOfPosition(d.start ?? 0);
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      const at = line < header ? 'header' : `${example.line + line - header}:${character + 1}`;
      return `${example.file}:${at} ${message}`;
    });
    return { ...example, errors };
  });
}

export const virtualDir = dirname(VIRTUAL_DIR);

/**
 * Public values (functions, classes, constants) of every entry, as `subpath#name`, with whether their
 * TSDoc has a summary and an `@example`.
 */
export function publicValues(): { id: string; fn: boolean; documented: boolean; example: boolean }[] {
  const program = ts.createProgram(
    Object.values(ENTRY_SOURCES)
      .map((f) => join(root, f))
      .filter((f) => ts.sys.fileExists(f)),
    compilerOptions(),
  );
  const checker = program.getTypeChecker();
  const out: { id: string; fn: boolean; documented: boolean; example: boolean }[] = [];
  for (const [spec, src] of Object.entries(ENTRY_SOURCES)) {
    const sf = program.getSourceFile(join(root, src));
    const module = sf && checker.getSymbolAtLocation(sf);
    if (!module) continue;
    for (const exported of checker.getExportsOfModule(module)) {
      const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
      if (!(symbol.flags & ts.SymbolFlags.Value)) continue;
      const decls = symbol.declarations ?? [];
      const tags = decls.flatMap((d) => ts.getJSDocTags(d));
      const docs = symbol.getDocumentationComment(checker);
      out.push({
        id: `${spec}#${exported.name}`,
        fn: (symbol.flags & ts.SymbolFlags.Function) !== 0,
        documented: docs.length > 0,
        example: tags.some((t) => t.tagName.text === 'example'),
      });
    }
  }
  return out;
}
