// The transformed template written over the user's own YAML text: everything the transform did not change stays
// byte for byte (comments, short tags, key order, quoting, indentation), so `diff input output` shows exactly what
// the macro does: the Transform entry, the rewritten image sites and the added resources.
// How: compare the input's JSON form with the output's, locate each difference in the parsed document (every
// node knows its offsets in the text) and splice in the yaml library's text for the new value, indented like its
// neighbours. Collections that cannot be edited in place (flow style, aliases, merge keys, tagged values) are
// replaced whole. The result is read back and must equal the output; otherwise the caller writes it afresh.
import { isAlias, isMap, isScalar, isSeq, Pair as YamlPair, Scalar, YAMLMap, type Node, type Pair, type YAMLSeq } from 'yaml';
import { intrinsicOf, isJsonObject, jsonEquals } from '../template/json.js';
import type { Json, JsonObject } from '../template/types.js';
import { CfnYamlError } from './errors.js';
import { intrinsicNameOfTag, jsonKey, readCfnYaml, type CfnYamlDocument } from './cfn-yaml.js';
import { nodeText, templateNode, type WriteOptions } from './cfn-yaml-writer.js';

interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/** The edit cannot be made in place here; the caller replaces the whole value. */
const REPLACE = 'replace';
type Outcome = 'same' | 'edited' | typeof REPLACE;

class CannotEdit extends Error {
  override readonly name = 'CannotEdit';
}

/** A flow collection (`[a, b]`, `{a: b}`): its replacement is written inline too. */
function isFlow(node: Node | null): boolean {
  return (isMap(node) || isSeq(node)) && node.flow === true;
}

/** A one-pair block mapping `key: value` (built by hand: a single-key object would read as an intrinsic). */
function pairNode(key: string, value: Json): YAMLMap {
  const map = new YAMLMap();
  map.items.push(new YamlPair(new Scalar(key), templateNode(value)));
  return map;
}

class Editor {
  readonly edits: Edit[] = [];
  readonly style: Required<WriteOptions>;

  constructor(readonly source: CfnYamlDocument) {
    this.style = detectStyle(source);
  }

  private get text(): string {
    return this.source.text;
  }

  lineStart(offset: number): number {
    return this.text.lastIndexOf('\n', offset - 1) + 1;
  }

  column(offset: number): number {
    return offset - this.lineStart(offset);
  }

  /** The offset just after the line holding `offset` (after its newline), or the text's end. */
  afterLine(offset: number): number {
    if (offset > 0 && this.text[offset - 1] === '\n') return offset;
    const newline = this.text.indexOf('\n', offset);
    return newline === -1 ? this.text.length : newline + 1;
  }

  keyOf(pair: Pair): string {
    return jsonKey(this.source, pair.key as Node | null);
  }

  /** Where the value of `pair` begins: just after its `:` indicator. */
  private colonOf(pair: Pair): number {
    const key = pair.key as Node;
    let index = key.range![1];
    while (this.text[index] === ' ' || this.text[index] === '\t') index += 1;
    if (this.text[index] !== ':') throw new CannotEdit('an explicit "? key" pair');
    return index + 1;
  }

  /** Text of a value in a block mapping whose key sits at `keyColumn`, with any comment that followed the `:`. */
  private valueText(value: Json, keyColumn: number, comment: string | undefined): string {
    const node = templateNode(value);
    if (!isMap(node) && !isSeq(node)) return ` ${this.inline(value)}${comment ? `  ${comment}` : ''}`;
    if ((isMap(node) && node.items.length === 0) || (isSeq(node) && node.items.length === 0)) return ` ${this.inline(value)}`;
    const childColumn = keyColumn + (isSeq(node) && !this.style.indentSeq ? 0 : this.style.indent);
    return `${comment ? ` ${comment}` : ''}\n${this.indent(nodeText(node, this.style), childColumn)}`;
  }

  inline(value: Json): string {
    return nodeText(templateNode(value, true), this.style).trimEnd();
  }

  indent(text: string, column: number): string {
    const pad = ' '.repeat(column);
    return text
      .split('\n')
      .map((line) => (line.length > 0 ? pad + line : line))
      .join('\n');
  }

  replaceValue(pair: Pair, value: Json, inFlow: boolean): void {
    const start = this.colonOf(pair);
    const old = pair.value as Node | null;
    const end = old?.range ? old.range[1] : start;
    const gap = this.text.slice(start, old?.range ? old.range[0] : start);
    const comment = /#[^\n]*/.exec(gap)?.[0];
    let text = inFlow ? ` ${this.inline(value)}` : this.valueText(value, this.column((pair.key as Node).range![0]), comment);
    const endsLine = this.text[end - 1] === '\n';
    if (endsLine && !text.endsWith('\n')) text += '\n';
    if (!endsLine && text.endsWith('\n')) text = text.slice(0, -1);
    this.edits.push({ start, end, text });
  }

  deletePair(pair: Pair): void {
    const key = pair.key as Node;
    const value = pair.value as Node | null;
    const last = value?.range ? value.range[1] : key.range![1];
    this.edits.push({ start: this.lineStart(key.range![0]), end: this.afterLine(last), text: '' });
  }

  deleteItem(item: Node): void {
    this.edits.push({ start: this.lineStart(item.range![0]), end: this.afterLine(item.range![1]), text: '' });
  }

  insertPairs(map: YAMLMap, pairs: readonly (readonly [string, Json])[]): void {
    const items = map.items as Pair[];
    const last = items[items.length - 1]!;
    const lastEnd = (last.value as Node | null)?.range?.[1] ?? (last.key as Node).range![1];
    const at = this.afterLine(lastEnd);
    const column = this.column((items[0]!.key as Node).range![0]);
    // Entries separated by blank lines get a blank line before each new one too.
    const spaced = items.slice(1).some((pair) => (pair.key as Node).spaceBefore === true);
    const text = pairs.map(([key, value]) => `${spaced ? '\n' : ''}${this.indent(nodeText(pairNode(key, value), this.style), column)}`).join('');
    this.edits.push({ start: at, end: at, text: `${this.text[at - 1] === '\n' || at === 0 ? '' : '\n'}${text}` });
  }

  /** Records the edits that turn the value of `node` (read as `before`) into `after`. */
  diff(node: Node | null, before: Json, after: Json): Outcome {
    // The transform shares every unchanged subtree with its input, so identity settles most of the template.
    if (before === after || jsonEquals(before, after)) return 'same';
    if (node === null || isAlias(node) || (node.tag !== undefined && intrinsicNameOfTag(node.tag) !== undefined)) return REPLACE;
    // An intrinsic is one value (`Fn::Sub: ...` becomes `!GetAtt ...`), not a mapping to edit key by key.
    if (intrinsicOf(before) !== undefined || intrinsicOf(after) !== undefined) return REPLACE;
    if (isMap(node) && isJsonObject(before) && isJsonObject(after)) return this.diffMap(node, before, after);
    if (isSeq(node) && Array.isArray(before) && Array.isArray(after)) return this.diffSeq(node, before, after);
    return REPLACE;
  }

  private diffMap(map: YAMLMap, before: JsonObject, after: JsonObject): Outcome {
    const pairs = map.items as Pair[];
    if (map.flow || pairs.length === 0 || Object.keys(after).length === 0) return REPLACE;
    if (pairs.some((pair) => isScalar(pair.key) && typeof pair.key.value === 'symbol')) return REPLACE;
    const seen = new Set<string>();
    for (const pair of pairs) {
      const key = this.keyOf(pair);
      seen.add(key);
      if (!Object.hasOwn(after, key)) {
        this.deletePair(pair);
        continue;
      }
      const value = pair.value as Node | null;
      if (this.diff(value, before[key]!, after[key]!) === REPLACE) this.replaceValue(pair, after[key]!, isFlow(value));
    }
    const added = Object.keys(after)
      .filter((key) => !seen.has(key))
      .map((key) => [key, after[key]!] as const);
    if (added.length > 0) this.insertPairs(map, added);
    return 'edited';
  }

  /** Only removals are made in place (the Transform list without this macro); any other change replaces the list. */
  private diffSeq(seq: YAMLSeq, before: readonly Json[], after: readonly Json[]): Outcome {
    if (seq.flow) return REPLACE;
    const items = seq.items as Node[];
    const removed: Node[] = [];
    let next = 0;
    before.forEach((item, index) => {
      if (next < after.length && jsonEquals(item, after[next]!)) next += 1;
      else removed.push(items[index]!);
    });
    if (next < after.length || removed.length === before.length) return REPLACE;
    for (const item of removed) this.deleteItem(item);
    return 'edited';
  }

  apply(): string {
    // New text takes the input's line endings.
    const crlf = this.text.includes('\r\n');
    let text = this.text;
    for (const edit of [...this.edits].sort((a, b) => b.start - a.start || b.end - a.end)) {
      text = text.slice(0, edit.start) + (crlf ? edit.text.replace(/\r?\n/g, '\r\n') : edit.text) + text.slice(edit.end);
    }
    return text;
  }
}

/** The indentation step and sequence style of the input, from its first nested block collection. */
function detectStyle(source: CfnYamlDocument): Required<WriteOptions> {
  const style = { indent: 2, indentSeq: true };
  const text = source.text;
  const column = (offset: number) => offset - (text.lastIndexOf('\n', offset - 1) + 1);
  let foundIndent = false;
  let foundSeq = false;
  const visit = (node: unknown): void => {
    if (!isMap(node) || node.flow) return;
    for (const pair of node.items as Pair[]) {
      const key = pair.key as Node | null;
      const value = pair.value as Node | null;
      if (!key?.range || !value?.range) continue;
      if (!foundIndent && isMap(value) && !value.flow && value.items.length > 0) {
        const child = (value.items[0] as Pair).key as Node | null;
        if (child?.range) {
          style.indent = Math.max(1, column(child.range[0]) - column(key.range[0]));
          foundIndent = true;
        }
      }
      if (!foundSeq && isSeq(value) && !value.flow && value.items.length > 0) {
        const dash = text.lastIndexOf('-', (value.items[0] as Node).range?.[0] ?? value.range[0]);
        if (dash !== -1) {
          style.indentSeq = column(dash) > column(key.range[0]);
          foundSeq = true;
        }
      }
      visit(value);
    }
  };
  visit(source.document.contents);
  return style;
}

/**
 * The YAML text of `output` written over `source`: unchanged parts as the user wrote them. Undefined when the
 * edited text would not read back as `output` (the caller then writes the template afresh).
 */
export function editYamlTemplate(source: CfnYamlDocument, output: Json): string | undefined {
  try {
    const editor = new Editor(source);
    const outcome = editor.diff(source.document.contents as Node | null, source.value, output);
    if (outcome === REPLACE) return undefined;
    const text = editor.apply();
    return jsonEquals(readCfnYaml(text).value, output) ? text : undefined;
  } catch (error) {
    if (error instanceof CannotEdit || error instanceof CfnYamlError) return undefined;
    throw error;
  }
}
