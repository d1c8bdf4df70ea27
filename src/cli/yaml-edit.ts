// The transformed template written over the user's own YAML text: everything the transform did not change stays
// byte for byte (comments, short tags, key order, quoting, indentation), so `diff input output` shows exactly what
// the macro does: the Transform entry, the rewritten values and the added resources.
// How: compare the input's JSON form with the output's, walking the parsed document (every node knows its offsets
// in the text) down to the smallest node that differs, wherever it sits (block or flow mappings and sequences, the
// argument of a short tag), and splice in the yaml library's text for the new value there (yaml-replace.ts), tag
// included, in the old scalar's style, indented like its neighbours. Comments outside the replaced values stay where
// they are. Mappings with merge keys are replaced whole. The result is read back and must equal the output;
// otherwise the caller writes it afresh.
import { isAlias, isMap, isScalar, isSeq, Pair as YamlPair, Scalar, YAMLMap, type Node, type Pair, type YAMLSeq } from 'yaml';
import { intrinsicOf, isJsonObject, jsonEquals } from '../template/json.js';
import type { Json, JsonObject } from '../template/types.js';
import { CfnYamlError } from './errors.js';
import { intrinsicNameOfTag, jsonKey, readCfnYaml, type CfnYamlDocument } from './cfn-yaml.js';
import { nodeText, templateNode, type WriteOptions } from './cfn-yaml-writer.js';
import { detectStyle, indentLines, isInline, replacementText } from './yaml-replace.js';
import { SourceTokens } from './yaml-tokens.js';

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

/** A one-pair block mapping `key: value` (built by hand: a single-key object would read as an intrinsic). */
function pairNode(key: string, value: Json): YAMLMap {
  const map = new YAMLMap();
  map.items.push(new YamlPair(new Scalar(key), templateNode(value)));
  return map;
}

/** The JSON form of a tagged node's content (`!Sub 'x'` holds "x"), when its intrinsic matches `value`'s. */
function tagArgument(node: Node, value: Json): Json | undefined {
  const name = node.tag === undefined ? undefined : intrinsicNameOfTag(node.tag);
  const intrinsic = intrinsicOf(value);
  return name !== undefined && intrinsic?.[0] === name ? intrinsic[1] : undefined;
}

class Editor {
  readonly edits: Edit[] = [];
  readonly style: Required<WriteOptions>;
  readonly tokens: SourceTokens;

  constructor(readonly source: CfnYamlDocument) {
    this.style = detectStyle(source);
    this.tokens = new SourceTokens(source.text);
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

  /** Comments of a replaced span, kept after an inline replacement (they described the value there). */
  private withComments(text: string, start: number, end: number): string {
    const comments = this.tokens.comments(start, end);
    return comments.length === 0 || text.includes('\n') ? text : `${text}  ${comments.join(' ')}`;
  }

  private push(start: number, end: number, text: string): void {
    let written = text;
    const endsLine = this.text[end - 1] === '\n';
    if (endsLine && !written.endsWith('\n')) written += '\n';
    if (!endsLine && written.endsWith('\n')) written = written.slice(0, -1);
    this.edits.push({ start, end, text: written });
  }

  /**
   * A value on a line below its key (`Key:`, `# note`, `value`) is rewritten on its own line, so the comment lines
   * between stay where they are; properties left on the key's line (`Key: !Sub`) go with the old value. False when
   * the new text could not stand there (the old value is not indented past the key: a block sequence at its column).
   */
  private replaceBelowKey(start: number, old: Node, value: Json, keyColumn: number): boolean {
    const nextLine = this.afterLine(start);
    const at = this.tokens.start(old, nextLine);
    if (this.column(at) <= keyColumn) return false;
    const propsEnd = this.tokens.propsEnd(start, nextLine);
    if (propsEnd !== undefined) this.edits.push({ start, end: propsEnd, text: '' });
    const end = old.range![1];
    const text = replacementText(value, old, { text: this.text, style: this.style, flow: false }, this.column(at));
    this.push(at, end, this.withComments(text, at, end));
    return true;
  }

  /** The value of a block mapping pair, from its `:` (the old value may start on the next line). */
  private replacePairValue(pair: Pair, value: Json): void {
    const start = this.colonOf(pair);
    const old = pair.value as Node | null;
    const keyColumn = this.column((pair.key as Node).range![0]);
    // `key:` with nothing after it but a comment: the new value takes the rest of the line, the comment kept.
    const empty = isScalar(old) && old.range![0] === old.range![1] && this.lineStart(old.range![0]) === this.lineStart(start);
    if (!empty && old?.range && this.lineStart(old.range[0]) === this.lineStart(start) && isInline(value, old)) {
      this.replaceNode(old, value, false);
      return;
    }
    if (!empty && old?.range && old.range[0] >= this.afterLine(start) && this.replaceBelowKey(start, old, value, keyColumn)) return;
    const end = empty ? this.afterLine(start) : old?.range ? old.range[1] : start;
    const context = { text: this.text, style: this.style, flow: false };
    if (isInline(value, old)) {
      const comments = this.tokens.comments(start, end);
      this.push(start, end, ` ${replacementText(value, old, context, keyColumn)}${comments.length > 0 ? `  ${comments.join(' ')}` : ''}`);
      return;
    }
    // A block collection replacing a value: the comments that followed the `:` stay on the key's line.
    const comments = this.tokens.comments(start, old?.range && !empty ? this.tokens.start(old) : end);
    const childColumn = keyColumn + (isSeq(templateNode(value)) && !this.style.indentSeq ? 0 : this.style.indent);
    const text = replacementText(value, old, context, childColumn);
    this.push(start, end, `${comments.length > 0 ? ` ${comments.join(' ')}` : ''}\n${' '.repeat(childColumn)}${text}`);
  }

  /** One node where it stands (a sequence item, a flow entry, a tag's argument), from its tag or its value. */
  private replaceNode(node: Node | null, value: Json, flow: boolean, keepProps = false): void {
    if (!node?.range) throw new CannotEdit('an empty value inside a sequence or flow collection');
    const start = keepProps ? node.range![0] : this.tokens.start(node);
    const end = node.range![1];
    const text = replacementText(value, node, { text: this.text, style: this.style, flow, underTag: keepProps }, this.column(start));
    this.push(start, end, flow ? text : this.withComments(text, start, end));
  }

  deletePair(pair: Pair): void {
    const key = pair.key as Node;
    const value = pair.value as Node | null;
    const last = value?.range ? value.range[1] : key.range![1];
    this.edits.push({ start: this.lineStart(key.range![0]), end: this.afterLine(last), text: '' });
  }

  deleteItem(item: Node): void {
    this.edits.push({ start: this.lineStart(this.tokens.start(item)), end: this.afterLine(item.range![1]), text: '' });
  }

  insertPairs(map: YAMLMap, pairs: readonly (readonly [string, Json])[]): void {
    const items = map.items as Pair[];
    const last = items[items.length - 1]!;
    const lastEnd = (last.value as Node | null)?.range?.[1] ?? (last.key as Node).range![1];
    const at = this.afterLine(lastEnd);
    const column = this.column((items[0]!.key as Node).range![0]);
    // Entries separated by blank lines get a blank line before each new one too.
    const spaced = items.slice(1).some((pair) => (pair.key as Node).spaceBefore === true);
    const text = pairs.map(([key, value]) => `${spaced ? '\n' : ''}${indentAll(nodeText(pairNode(key, value), this.style), column)}`).join('');
    this.edits.push({ start: at, end: at, text: `${this.text[at - 1] === '\n' || at === 0 ? '' : '\n'}${text}` });
  }

  /** New entries at the end of a flow mapping, written in flow style. */
  insertFlowPairs(map: YAMLMap, pairs: readonly (readonly [string, Json])[]): void {
    const close = this.text.lastIndexOf('}', map.range![1] - 1);
    if (close < map.range![0]) throw new CannotEdit('a flow mapping without its closing brace');
    const entries = pairs.map(([key, value]) => {
      const single = pairNode(key, value);
      single.flow = true;
      return nodeText(single, this.style).trimEnd().slice(1, -1);
    });
    this.edits.push({ start: close, end: close, text: `, ${entries.join(', ')}` });
  }

  /** Records the edits that turn the value of `node` (read as `before`) into `after`; `flow`: inside a flow collection. */
  diff(node: Node | null, before: Json, after: Json, flow = false): Outcome {
    // The transform shares every unchanged subtree with its input, so identity settles most of the template.
    if (before === after || jsonEquals(before, after)) return 'same';
    if (node === null || isAlias(node)) return REPLACE;
    if (node.tag !== undefined) {
      // `!Sub '...'` whose string changes: the string is edited and the tag stays.
      const [was, now] = [tagArgument(node, before), tagArgument(node, after)];
      if (was === undefined || now === undefined) return REPLACE;
      return this.diffContent(node, was, now, flow, true);
    }
    // An intrinsic is one value (`Fn::Sub: ...` becoming `!GetAtt ...`), unless the function stays the same.
    if ((intrinsicOf(before) !== undefined || intrinsicOf(after) !== undefined) && intrinsicOf(before)?.[0] !== intrinsicOf(after)?.[0]) return REPLACE;
    return this.diffContent(node, before, after, flow, false);
  }

  /** `node` read as `before` (for a tagged node: its argument) becomes `after`. */
  private diffContent(node: Node, before: Json, after: Json, flow: boolean, tagged: boolean): Outcome {
    if (isMap(node) && isJsonObject(before) && isJsonObject(after)) return this.diffMap(node, before, after, flow || node.flow === true);
    if (isSeq(node) && Array.isArray(before) && Array.isArray(after)) return this.diffSeq(node, before, after, flow || node.flow === true);
    if (tagged && isScalar(node) && typeof before === 'string' && typeof after === 'string') {
      this.replaceNode(node, after, flow, true);
      return 'edited';
    }
    return REPLACE;
  }

  private diffMap(map: YAMLMap, before: JsonObject, after: JsonObject, flow: boolean): Outcome {
    const pairs = map.items as Pair[];
    if (pairs.length === 0 || Object.keys(after).length === 0) return REPLACE;
    if (pairs.some((pair) => isScalar(pair.key) && typeof pair.key.value === 'symbol')) return REPLACE;
    const keys = pairs.map((pair) => this.keyOf(pair));
    // A flow mapping loses no entry in place (its commas would need rewriting); new entries go before its `}`.
    if (flow && keys.some((key) => !Object.hasOwn(after, key))) return REPLACE;
    if (new Set(keys).size !== keys.length) return REPLACE;
    pairs.forEach((pair, index) => {
      const key = keys[index]!;
      const value = pair.value as Node | null;
      if (!Object.hasOwn(after, key)) this.deletePair(pair);
      else if (this.diff(value, before[key]!, after[key]!, flow) !== REPLACE) return;
      else if (flow) this.replaceNode(value, after[key]!, true);
      else this.replacePairValue(pair, after[key]!);
    });
    const added = Object.keys(after)
      .filter((key) => !keys.includes(key))
      .map((key) => [key, after[key]!] as const);
    if (added.length > 0 && flow) this.insertFlowPairs(map, added);
    else if (added.length > 0) this.insertPairs(map, added);
    return 'edited';
  }

  /** Item by item when the length stays; removals only (the Transform list without this macro) otherwise. */
  private diffSeq(seq: YAMLSeq, before: readonly Json[], after: readonly Json[], flow: boolean): Outcome {
    const items = seq.items as (Node | null)[];
    if (before.length === after.length) {
      items.forEach((item, index) => {
        if (this.diff(item, before[index]!, after[index]!, flow) === REPLACE) this.replaceNode(item, after[index]!, flow);
      });
      return 'edited';
    }
    if (flow) return REPLACE;
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

/** Every line of `text` indented by `column` (new mapping entries). */
function indentAll(text: string, column: number): string {
  return ' '.repeat(column) + indentLines(text, column);
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
