// No dead exports: every name a module under src/ exports is imported by another file (library code, a test,
// a script, a benchmark or an example), or is public (exported by a package entry). An export nothing reads
// is a second, unused way to do something, or a promise of an API that is not there.
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import tsup from '../tsup.config.js';

const root = join(import.meta.dirname, '..');

function program(): ts.Program {
  const config = ts.readConfigFile(join(root, 'tsconfig.json'), ts.sys.readFile).config;
  const { options, fileNames } = ts.parseJsonConfigFileContent(config, ts.sys, root);
  return ts.createProgram({ rootNames: fileNames, options: { ...options, noEmit: true } });
}

/** The package entries (tsup's `entry` maps, the CLI among them): their exports are public. */
function entryFiles(): Set<string> {
  const configs = Array.isArray(tsup) ? tsup : [tsup];
  const entries = configs.flatMap((c) => Object.values((c as { entry: Record<string, string> }).entry));
  return new Set(entries.map((e) => join(root, e)));
}

function deadExports(): string[] {
  const p = program();
  const checker = p.getTypeChecker();
  const own = (sf: ts.SourceFile) => !sf.isDeclarationFile && !sf.fileName.includes('/node_modules/');
  const files = p.getSourceFiles().filter(own);
  const entries = entryFiles();
  const resolve = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);
  const used = new Set<ts.Symbol>();
  const useAll = (moduleSpecifier: ts.Node) => {
    const mod = checker.getSymbolAtLocation(moduleSpecifier);
    if (mod) for (const s of checker.getExportsOfModule(mod)) used.add(resolve(s));
  };

  for (const sf of files) {
    const entry = entries.has(sf.fileName);
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && node.importClause) {
        const { namedBindings, name } = node.importClause;
        if (name) used.add(resolve(checker.getSymbolAtLocation(name)!));
        if (namedBindings && ts.isNamespaceImport(namedBindings)) useAll(node.moduleSpecifier);
        if (namedBindings && ts.isNamedImports(namedBindings))
          for (const el of namedBindings.elements) used.add(resolve(checker.getSymbolAtLocation(el.name)!));
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
        // A re-export uses what it names; `export *` uses everything.
        if (!node.exportClause) useAll(node.moduleSpecifier);
        else if (ts.isNamedExports(node.exportClause))
          for (const el of node.exportClause.elements)
            used.add(resolve(checker.getSymbolAtLocation(el.name)!));
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
        useAll(node.argument.literal);
      } else if (
        ts.isCallExpression(node) &&
        node.expression.kind === ts.SyntaxKind.ImportKeyword &&
        node.arguments[0] !== undefined
      ) {
        useAll(node.arguments[0]);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    // What an entry exports is public: in use by definition.
    if (entry) {
      const mod = checker.getSymbolAtLocation(sf);
      if (mod) for (const s of checker.getExportsOfModule(mod)) used.add(resolve(s));
    }
  }

  const dead: string[] = [];
  for (const sf of files) {
    const path = relative(root, sf.fileName);
    if (!path.startsWith('src/') || entries.has(sf.fileName)) continue;
    const mod = checker.getSymbolAtLocation(sf);
    if (!mod) continue;
    for (const s of checker.getExportsOfModule(mod)) {
      // Only what this file declares; a re-export is judged where it is declared.
      if (s.flags & ts.SymbolFlags.Alias) continue;
      if (!used.has(s)) dead.push(`${path}: ${s.name}`);
    }
  }
  return dead.sort();
}

describe('exports', () => {
  it('every export under src/ is imported somewhere or public', () => {
    expect(deadExports()).toEqual([]);
  });
});
