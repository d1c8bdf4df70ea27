// CloudFormation YAML written so that it reads back the same (cfn-yaml.ts reads it): JSON-form values become
// nodes with the short tags back (`!Ref X`, `!GetAtt A.B`), and the yaml library quotes every string a YAML 1.1
// reader would take for something else.
import { Document, Pair, Scalar, YAMLMap, YAMLSeq, type Node, type ToStringOptions } from 'yaml';
import { isJsonObject } from '../template/json.js';
import type { Json } from '../template/types.js';
import { schemaOptions } from './cfn-yaml.js';

/** `[name, argument]` of a single-key `Ref` / `Fn::Name` object that a short tag can write, else undefined. */
function shortForm(value: Json): readonly [string, Json] | undefined {
  if (!isJsonObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const name = keys[0]!;
  if (name === 'Ref') return ['!Ref', value[name]!];
  const match = /^Fn::([A-Za-z0-9]+)$/.exec(name);
  return match ? [`!${match[1]}`, value[name]!] : undefined;
}

/**
 * A yaml node for a JSON-form value, with intrinsics in their short form (`!Ref X`, `!GetAtt A.B`,
 * `!Join ["", [...]]`); `flow` for a place inside a flow collection. An intrinsic whose argument is itself an
 * intrinsic keeps its long form (`Fn::ImportValue: !Sub ...`): one node cannot carry two tags.
 */
export function templateNode(value: Json, flow = false): Node {
  const short = shortForm(value);
  if (short !== undefined && shortForm(short[1]) === undefined) {
    const [tag, argument] = short;
    let node: Node | undefined;
    if (typeof argument === 'string') node = new Scalar(argument);
    else if (
      tag === '!GetAtt' &&
      Array.isArray(argument) &&
      argument.length === 2 &&
      argument.every((part) => typeof part === 'string') &&
      !(argument[0] as string).includes('.')
    ) {
      node = new Scalar(`${argument[0]}.${argument[1]}`);
    } else if (Array.isArray(argument) || isJsonObject(argument)) node = templateNode(argument, true);
    if (node !== undefined) {
      node.tag = tag;
      return node;
    }
  }
  if (Array.isArray(value)) {
    const seq = new YAMLSeq();
    seq.flow = flow;
    seq.items = value.map((item) => templateNode(item, flow));
    return seq;
  }
  if (isJsonObject(value)) {
    const map = new YAMLMap();
    map.flow = flow;
    for (const key of Object.keys(value)) map.items.push(new Pair(new Scalar(key), templateNode(value[key]!, flow)));
    return map;
  }
  return new Scalar(value);
}

export interface WriteOptions {
  /** Spaces per indentation level (default 2). */
  readonly indent?: number;
  /** Block sequences indented under their key (default true). */
  readonly indentSeq?: boolean;
}

/** Text of one node (or a whole template) in the template schema: short tags, 1.1 quoting, no line folding. */
export function nodeText(node: Node, options: WriteOptions = {}): string {
  const document = new Document(null, schemaOptions());
  document.contents = node;
  const writeOptions: ToStringOptions = {
    lineWidth: 0,
    flowCollectionPadding: false,
    indent: options.indent ?? 2,
    indentSeq: options.indentSeq ?? true,
  };
  return document.toString(writeOptions);
}

/** Writes a JSON-form template as YAML with short tags (deterministic; no anchors, no line folding). */
export function stringifyCfnYaml(value: Json, options: WriteOptions = {}): string {
  return nodeText(templateNode(value), options);
}
