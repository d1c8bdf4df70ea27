// Structure rules of src/ that no compiler option checks (`npm run lint` runs this):
//   - no import cycles between modules, type-only imports and re-exports included;
//   - no function longer than MAX_FUNCTION_LINES lines (declarations, expressions, arrows, methods, accessors);
//   - no .ts file longer than MAX_FILE_LINES lines.
// Read with the TypeScript compiler API (already a dependency): imports are taken from the syntax tree, so
// comments and strings never count, and `import type` counts like any other import.
//
//   npx tsx scripts/check-structure.ts [DIR]     DIR defaults to src; exit 1 and a list when a rule is broken
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export const MAX_FUNCTION_LINES = 80;
export const MAX_FILE_LINES = 300;

export interface LongFunction {
  readonly file: string;
  readonly name: string;
  readonly line: number;
  readonly lines: number;
}

export interface StructureReport {
  /** Each group of files that import each other (directly or not): its files, and one cycle through them. */
  readonly cycles: readonly { readonly files: readonly string[]; readonly example: readonly string[] }[];
  readonly longFunctions: readonly LongFunction[];
  readonly longFiles: readonly { readonly file: string; readonly lines: number }[];
}

function typeScriptFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) return typeScriptFiles(path);
      return entry.endsWith('.ts') && !entry.endsWith('.d.ts') ? [path] : [];
    });
}

/** Lines of a text as an editor counts them (a final newline ends the last line, it does not start one). */
function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Module specifiers of every import, re-export and `import x = require(...)` of a file. */
function specifiers(source: ts.SourceFile): string[] {
  const found: string[] = [];
  for (const statement of source.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier !== undefined) {
      if (ts.isStringLiteral(statement.moduleSpecifier)) found.push(statement.moduleSpecifier.text);
    } else if (ts.isImportEqualsDeclaration(statement) && ts.isExternalModuleReference(statement.moduleReference)) {
      const expression = statement.moduleReference.expression;
      if (ts.isStringLiteral(expression)) found.push(expression.text);
    }
  }
  return found;
}

/** The file a relative specifier names (`./a.js` is `./a.ts`, `./dir` its index.ts), or undefined for packages. */
function resolveSpecifier(from: string, specifier: string, files: ReadonlySet<string>): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  const candidates = [base.replace(/\.js$/, '.ts'), `${base}.ts`, join(base, 'index.ts')];
  return candidates.find((candidate) => files.has(candidate));
}

/** Strongly connected components with more than one file, or a file importing itself (Tarjan's algorithm). */
function findCycles(graph: ReadonlyMap<string, readonly string[]>): { files: string[]; example: string[] }[] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: { files: string[]; example: string[] }[] = [];
  let counter = 0;
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter++;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, index.get(next)!));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const component: string[] = [];
    let member: string;
    do {
      member = stack.pop()!;
      onStack.delete(member);
      component.push(member);
    } while (member !== node);
    if (component.length > 1 || (graph.get(node) ?? []).includes(node)) cycles.push({ files: component.sort(), example: cyclePath(component, graph) });
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

/** One concrete cycle through a component, for the message: from its first file back to it. */
function cyclePath(component: readonly string[], graph: ReadonlyMap<string, readonly string[]>): string[] {
  const members = new Set(component);
  const start = [...component].sort()[0]!;
  const previous = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const node = queue[i]!;
    for (const next of graph.get(node) ?? []) {
      if (!members.has(next)) continue;
      if (next === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(previous.get(path[0]!)!);
        return [...path, start];
      }
      if (!previous.has(next)) {
        previous.set(next, node);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

function functionName(node: ts.Node, source: ts.SourceFile): string {
  const named = node as { name?: ts.Node };
  if (named.name !== undefined) return named.name.getText(source);
  if (ts.isConstructorDeclaration(node)) return 'constructor';
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(source);
  return '(anonymous)';
}

function longFunctions(file: string, source: ts.SourceFile, max: number): LongFunction[] {
  const found: LongFunction[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && (node as { body?: ts.Node }).body !== undefined) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > max) found.push({ file, name: functionName(node, source), line: first + 1, lines });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** Checks every .ts file under `dir`; paths in the report are relative to `dir`'s parent. */
export function checkStructure(dir: string, limits = { functionLines: MAX_FUNCTION_LINES, fileLines: MAX_FILE_LINES }): StructureReport {
  const root = resolve(dir);
  const shown = (file: string): string => relative(dirname(root), file);
  const files = typeScriptFiles(root);
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  const functions: LongFunction[] = [];
  const bigFiles: { file: string; lines: number }[] = [];
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
    const targets = specifiers(source).flatMap((specifier) => resolveSpecifier(file, specifier, known) ?? []);
    graph.set(file, [...new Set(targets)]);
    functions.push(...longFunctions(shown(file), source, limits.functionLines));
    const lines = lineCount(text);
    if (lines > limits.fileLines) bigFiles.push({ file: shown(file), lines });
  }
  const cycles = findCycles(graph).map((cycle) => ({ files: cycle.files.map(shown), example: cycle.example.map(shown) }));
  return { cycles, longFunctions: functions, longFiles: bigFiles };
}

export function formatReport(report: StructureReport): string {
  const lines = [
    ...report.cycles.map((cycle) => `import cycle among ${cycle.files.length} files (${cycle.files.join(', ')}), e.g. ${cycle.example.join(' -> ')}`),
    ...report.longFunctions.map((f) => `function over ${MAX_FUNCTION_LINES} lines: ${f.file}:${f.line} ${f.name} (${f.lines} lines)`),
    ...report.longFiles.map((f) => `file over ${MAX_FILE_LINES} lines: ${f.file} (${f.lines} lines)`),
  ];
  const counts = `${report.cycles.length} import cycles (groups of files importing each other), ${report.longFunctions.length} functions over ${MAX_FUNCTION_LINES} lines, ${report.longFiles.length} files over ${MAX_FILE_LINES} lines`;
  return `${[...lines, counts].join('\n')}\n`;
}

export function isClean(report: StructureReport): boolean {
  return report.cycles.length === 0 && report.longFunctions.length === 0 && report.longFiles.length === 0;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const dir = process.argv[2] ?? join(dirname(new URL(import.meta.url).pathname), '..', 'src');
  const report = checkStructure(dir);
  (isClean(report) ? process.stdout : process.stderr).write(formatReport(report));
  process.exitCode = isClean(report) ? 0 : 1;
}
