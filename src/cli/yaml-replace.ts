// The text that replaces one value in the user's YAML (yaml-edit.ts decides which): written by the yaml library in
// the template schema (short tags, YAML 1.1 quoting), inline where the old value was inline or inside a flow
// collection, and in the old value's own scalar style (plain, quoted, block) when the new value is a string too.
import { isCollection, isMap, isScalar, isSeq, Scalar, YAMLSeq, type Node, type Pair } from 'yaml';
import type { Json } from '../template/types.js';
import type { CfnYamlDocument } from './cfn-yaml.js';
import { nodeText, templateNode, type WriteOptions } from './cfn-yaml-writer.js';

export interface ReplaceContext {
  readonly text: string;
  readonly style: Required<WriteOptions>;
  /** Inside a flow collection (`[...]`, `{...}`): only flow text is valid. */
  readonly flow: boolean;
  /** Only the value of a tagged node is replaced (`!Sub 'x'`: the string); its tag stays in the text. */
  readonly underTag?: boolean;
}

/**
 * A string that replaces a string keeps the old scalar's style; the yaml library falls back when it cannot. (Inside a
 * flow collection the old scalar is never a block scalar.)
 */
function newNode(value: Json, old: Node | null, flow: boolean, underTag = false): Node {
  const node = templateNode(value, flow);
  if (typeof value === 'string' && isScalar(old) && (old.tag === undefined || underTag) && typeof old.value === 'string') (node as Scalar).type = old.type;
  return node;
}

/** One value written inside a flow collection: as the single item of a flow sequence, brackets removed. */
function flowText(node: Node, style: Required<WriteOptions>): string {
  const seq = new YAMLSeq();
  seq.flow = true;
  seq.items = [node];
  return nodeText(seq, style).trimEnd().slice(1, -1);
}

/** The indentation of an old block scalar's content lines, from its first non-empty line. */
function contentIndent(text: string, old: Node): number | undefined {
  const body = text.slice(old.range![0], old.range![1]).split(/\r?\n/).slice(1);
  const line = body.find((candidate) => candidate.trim().length > 0);
  return line === undefined ? undefined : line.length - line.trimStart().length;
}

/** A block scalar (`|`, `>`) re-indented to the old block scalar's content indentation; undefined when it needs an indicator. */
function blockScalarText(node: Node, old: Node, context: ReplaceContext, column: number): string | undefined {
  const written = nodeText(node, context.style);
  const [header, ...body] = written.split('\n');
  if (!/^[|>][-+]?$/.test(header!)) return undefined;
  const pad = ' '.repeat(contentIndent(context.text, old) ?? column + 2);
  return [header, ...body.map((line) => (line.length > 0 ? pad + line : line))].join('\n');
}

export function indentLines(text: string, column: number): string {
  const pad = ' '.repeat(column);
  return text
    .split('\n')
    .map((line, index) => (index > 0 && line.length > 0 ? pad + line : line))
    .join('\n');
}

/** A flow collection (`[a, b]`, `{a: b}`): what replaces it is written in flow style too. */
function isFlowCollection(node: Node | null): boolean {
  return isCollection(node) && node.flow === true;
}

/** Whether `value`, replacing `old`, is written on one line (a scalar, a tagged intrinsic, an empty or flow collection). */
export function isInline(value: Json, old: Node | null): boolean {
  if (isFlowCollection(old)) return true;
  const node = templateNode(value);
  return !isCollection(node) || node.tag !== undefined || node.items.length === 0;
}

/**
 * The text of `value` replacing `old` (null: an empty value). `column`: where continuation lines of a block
 * collection start. Inline values come without a line break; a block collection ends with one.
 */
export function replacementText(value: Json, old: Node | null, context: ReplaceContext, column: number): string {
  if (context.flow) return flowText(newNode(value, old, true, context.underTag), context.style);
  if (isFlowCollection(old)) return nodeText(newNode(value, old, true), context.style).trimEnd();
  const node = newNode(value, old, false, context.underTag);
  if (isScalar(node) && (node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED) && old !== null) {
    const block = blockScalarText(node, old, context, column);
    if (block !== undefined) return block;
    node.type = Scalar.QUOTE_DOUBLE;
  }
  if (isInline(value, old)) return nodeText(node, context.style).trimEnd();
  return indentLines(nodeText(node, context.style), column);
}

/** The indentation step and sequence style of the input, from its first nested block collection. */
export function detectStyle(source: CfnYamlDocument): Required<WriteOptions> {
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
