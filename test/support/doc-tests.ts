// What the docs claim a command prints, read from the markdown as a reader sees it (test/integration/docs.test.ts
// runs the commands and compares). The conventions, for writers, are in docs/development.md ("The docs are tested"):
// ```console sessions ($ command, then its output; `...` for any lines or any text), ```sh scripts, offline commands
// run and others only shown, and <!-- doc-test: ... --> markers (file NAME from PATH [with the yaml above], exit N,
// skip REASON).

export interface DocCommand {
  /** The markdown file (relative to the checkout), and the 1-based line of the command. */
  readonly file: string;
  readonly line: number;
  readonly command: string;
  /** True when the command is one the test runs (see the conventions above). */
  readonly offline: boolean;
  /** A session's expected output lines (undefined in a script block: only the exit status is checked). */
  readonly expected?: readonly string[];
  readonly exit: number;
}

export interface DocFixture {
  readonly file: string;
  readonly line: number;
  readonly name: string;
  readonly from: string;
  /** The yaml block to merge in, with its line. */
  readonly merge?: { readonly text: string; readonly line: number };
}

export interface DocTests {
  readonly commands: DocCommand[];
  readonly fixtures: DocFixture[];
  readonly skipped: Array<{ readonly file: string; readonly line: number; readonly reason: string }>;
  /** Problems with the markdown itself (a sample that cannot be checked, a marker that does not parse). */
  readonly problems: string[];
}

const SCRIPT_LANGUAGES = new Set(['sh', 'bash', 'shell']);
const OFFLINE = [
  /^sysdig-image-fix(?:\s|$)/,
  /^node\s+dist\/cli\/index\.js(?:\s|$)/,
  /^npm\s+(?:(?:-s|--silent)\s+)?(?:start|(?:run|run-script)\s+(?:(?:-s|--silent)\s+)?(?:start|package(?::stackset)?))(?:\s|$)/,
];
const NEUTRAL = /^(?:cat|head|tail|grep|diff|sha256sum)(?:\s|$)/;

/** True when the test runs `command`: at least one offline part, and nothing else but text tools. */
export function isOfflineCommand(command: string): boolean {
  const parts = command.split(/&&|\|\||[;|]/).map((part) => part.trim());
  return parts.some((part) => OFFLINE.some((pattern) => pattern.test(part))) && parts.every((part) => NEUTRAL.test(part) || OFFLINE.some((pattern) => pattern.test(part)));
}

interface Block {
  readonly lang: string;
  /** 1-based line of the first content line. */
  readonly line: number;
  readonly lines: readonly string[];
}

const FENCE = /^( *)(`{3,}|~{3,})\s*([\w-]*)/;
const MARKER = /^\s*<!--\s*doc-test:\s*(.*?)\s*-->\s*$/;

/** Code blocks (fence indentation removed) and doc-test markers, in document order. */
function scan(text: string): Array<{ kind: 'block'; block: Block } | { kind: 'marker'; line: number; body: string }> {
  const lines = text.split('\n');
  const items: Array<{ kind: 'block'; block: Block } | { kind: 'marker'; line: number; body: string }> = [];
  for (let i = 0; i < lines.length; i += 1) {
    const marker = MARKER.exec(lines[i]!);
    if (marker) {
      items.push({ kind: 'marker', line: i + 1, body: marker[1]! });
      continue;
    }
    const fence = FENCE.exec(lines[i]!);
    if (!fence) continue;
    const [, indent, mark, lang] = fence;
    const content: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^ *${mark![0]}{${mark!.length},}\\s*$`).test(lines[j]!)) {
      content.push(lines[j]!.startsWith(indent!) ? lines[j]!.slice(indent!.length) : lines[j]!.trimStart());
      j += 1;
    }
    items.push({ kind: 'block', block: { lang: lang!, line: i + 2, lines: content } });
    i = j;
  }
  return items;
}

/** The command starting at lines[i], joined over `\`-continued lines, and the index of its last line. */
function readCommand(lines: readonly string[], i: number, strip: (line: string) => string): { text: string; end: number } {
  let text = strip(lines[i]!);
  let end = i;
  while (/\\$/.test(text) && end + 1 < lines.length) {
    end += 1;
    text = `${text.slice(0, -1).trimEnd()} ${lines[end]!.trim()}`;
  }
  return { text, end };
}

function sessionCommands(file: string, block: Block, exit: number, problems: string[]): DocCommand[] {
  const commands: DocCommand[] = [];
  const { lines } = block;
  const first = lines.findIndex((line) => line.startsWith('$ '));
  if (lines.slice(0, first < 0 ? lines.length : first).some((line) => line.trim() !== '')) {
    problems.push(`${file}:${block.line}: a console block shows output before its first "$ " command`);
  }
  for (let i = first; i >= 0 && i < lines.length; ) {
    const { text: command, end } = readCommand(lines, i, (line) => line.slice(2));
    let next = end + 1;
    while (next < lines.length && !lines[next]!.startsWith('$ ')) next += 1;
    const expected = lines.slice(end + 1, next);
    while (expected.length > 0 && expected.at(-1)!.trim() === '') expected.pop();
    const offline = isOfflineCommand(command);
    if (!offline && expected.length > 0) {
      problems.push(
        `${file}:${block.line + i}: the output shown for "$ ${command}" cannot be checked offline (show it in prose, or mark the block <!-- doc-test: skip REASON -->)`,
      );
    }
    commands.push({ file, line: block.line + i, command, offline, ...(offline ? { expected } : {}), exit });
    i = next;
  }
  return commands;
}

function scriptCommands(file: string, block: Block, exit: number): DocCommand[] {
  const commands: DocCommand[] = [];
  for (let i = 0; i < block.lines.length; i += 1) {
    const { text, end } = readCommand(block.lines, i, (line) => line);
    const command = text.replace(/(^|\s)#.*$/, '').trim();
    if (command !== '') commands.push({ file, line: block.line + i, command, offline: isOfflineCommand(command), exit });
    i = end;
  }
  return commands;
}

/** Everything the docs test checks in one markdown file. */
export function extractDocTests(file: string, text: string): DocTests {
  const result: DocTests = { commands: [], fixtures: [], skipped: [], problems: [] };
  let lastYaml: { text: string; line: number } | undefined;
  let exit = 0;
  let skip: string | undefined;
  for (const item of scan(text)) {
    if (item.kind === 'marker') {
      const fixture = /^file\s+(\S+)\s+from\s+(\S+)(\s+with the yaml above)?$/.exec(item.body);
      const exitMarker = /^exit\s+(\d+)$/.exec(item.body);
      const skipMarker = /^skip\s+(.+)$/.exec(item.body);
      if (fixture) {
        if (fixture[3] !== undefined && lastYaml === undefined) result.problems.push(`${file}:${item.line}: "with the yaml above" but no yaml block is above`);
        result.fixtures.push({ file, line: item.line, name: fixture[1]!, from: fixture[2]!, ...(fixture[3] !== undefined && lastYaml ? { merge: lastYaml } : {}) });
      } else if (exitMarker) exit = Number(exitMarker[1]);
      else if (skipMarker) skip = skipMarker[1]!;
      else result.problems.push(`${file}:${item.line}: unknown doc-test marker "${item.body}"`);
      continue;
    }
    const { block } = item;
    if (block.lang === 'yaml') lastYaml = { text: block.lines.join('\n'), line: block.line };
    const checked = block.lang === 'console' || SCRIPT_LANGUAGES.has(block.lang);
    if (checked && skip !== undefined) result.skipped.push({ file, line: block.line - 1, reason: skip });
    else if (block.lang === 'console') result.commands.push(...sessionCommands(file, block, exit, result.problems));
    else if (SCRIPT_LANGUAGES.has(block.lang)) result.commands.push(...scriptCommands(file, block, exit));
    if (checked || block.lang === '') {
      exit = 0;
      skip = undefined;
    }
  }
  return result;
}

/** Sample line -> regular expression: `...` inside a line is any text, the rest literal. */
function linePattern(line: string): RegExp {
  return new RegExp(
    `^${line
      .split('...')
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*?')}$`,
  );
}

/**
 * Whether `actual` lines are what the sample shows: line by line (trailing white space aside), a line that is only
 * `...` matching any number of lines. Returns the index of the first sample line that cannot match, or -1.
 */
export function matchSample(expected: readonly string[], actual: readonly string[]): number {
  const want = expected.map((line) => line.trimEnd());
  const have = actual.map((line) => line.trimEnd());
  while (have.length > 0 && have.at(-1) === '') have.pop();
  let furthest = 0;
  const memo = new Map<string, boolean>();
  const from = (e: number, a: number): boolean => {
    const key = `${e},${a}`;
    const known = memo.get(key);
    if (known !== undefined) return known;
    furthest = Math.max(furthest, e);
    let ok: boolean;
    if (e === want.length) ok = a === have.length;
    else if (want[e]!.trim() === '...') ok = from(e + 1, a) || (a < have.length && from(e, a + 1));
    else ok = a < have.length && linePattern(want[e]!).test(have[a]!) && from(e + 1, a + 1);
    memo.set(key, ok);
    return ok;
  };
  return from(0, 0) ? -1 : Math.min(furthest, Math.max(want.length - 1, 0));
}

/** Deep merge of plain objects (what "add this to the template" means); other values are replaced. */
export function mergeInto(target: unknown, addition: unknown): unknown {
  const isObject = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
  if (!isObject(target) || !isObject(addition)) return addition;
  const merged: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(addition)) merged[key] = key in merged ? mergeInto(merged[key], value) : value;
  return merged;
}
