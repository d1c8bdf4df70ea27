// What reading a template needs to know about the parsed document as a whole, each found in ONE pass so that
// reading stays linear in the text: the node each alias names, and whether a YAML 1.1 line break sits outside
// quotes. (The yaml library's `Alias.resolve` walks the whole document for each alias it resolves: 3,000 alias
// keys took seconds, and a line break was checked against every quoted scalar.)
import { type Alias, type Document, isAlias, isScalar, type LineCounter, type Node, Scalar, visit } from 'yaml';
import { CfnYamlError } from './errors.js';

/** Counts the steps of reading (nodes visited, aliases looked up, line breaks placed), so tests can hold the work to the input's size. */
export interface ReadMeter {
  steps: number;
}

/** Alias -> the node it names: the last node before it with that anchor (the yaml library's rule; one per name here). */
export type AliasTargets = ReadonlyMap<Alias, Node>;

const targetsOf = new WeakMap<Document, AliasTargets>();

function at(lineCounter: LineCounter, node: Node): string {
  const { line, col } = lineCounter.linePos(node.range?.[0] ?? 0);
  return `at line ${line}, column ${col}`;
}

function refuse(lineCounter: LineCounter, node: Node, message: string, detail: string): never {
  throw new CfnYamlError(`${message} ${at(lineCounter, node)} ${detail}`);
}

/**
 * Finds, in one visit in document order, the node each alias names, and refuses what PyYAML (so cfn-lint) cannot
 * compose: an anchor defined twice, an alias before its anchor, and an alias inside the node it names (a recursive
 * structure, which has no JSON form). The yaml library accepts all three.
 */
export function indexAliases(document: Document, lineCounter: LineCounter, meter?: ReadMeter): AliasTargets {
  const anchored = new Map<string, Node>();
  const targets = new Map<Alias, Node>();
  visit(document, {
    Node(_key, node) {
      if (meter) meter.steps += 1;
      if (isAlias(node)) {
        const target = anchored.get(node.source) ?? refuse(lineCounter, node, `unknown alias *${node.source}`, `(its anchor &${node.source} must come before it)`);
        // The anchored node starts before the alias; it holds the alias when it also ends after the alias starts.
        if ((target.range?.[1] ?? 0) > (node.range?.[0] ?? 0)) {
          refuse(lineCounter, node, `the alias *${node.source}`, 'is inside the node it names (a recursive structure has no JSON form)');
        }
        targets.set(node, target);
      } else if (node.anchor !== undefined) {
        const first = anchored.get(node.anchor);
        if (first !== undefined) refuse(lineCounter, node, `duplicate anchor &${node.anchor}`, `(first ${at(lineCounter, first)}; PyYAML refuses a repeated anchor)`);
        anchored.set(node.anchor, node);
      }
    },
  });
  targetsOf.set(document, targets);
  return targets;
}

/** The alias targets {@link indexAliases} found for `document` (which reading it did). */
export function aliasTargets(document: Document): AliasTargets | undefined {
  return targetsOf.get(document);
}

/**
 * The first of `offsets` (ascending) that lies outside every range (ascending, not overlapping: quoted scalars),
 * in one sweep over both lists; undefined when each lies inside one.
 */
export function firstOutside(offsets: readonly number[], ranges: readonly (readonly [number, number])[], meter?: ReadMeter): number | undefined {
  let next = 0;
  for (const offset of offsets) {
    while (next < ranges.length && ranges[next]![1] <= offset) {
      next += 1;
      if (meter) meter.steps += 1;
    }
    if (meter) meter.steps += 1;
    const range = ranges[next];
    if (range === undefined || !(offset > range[0] && offset < range[1])) return offset;
  }
  return undefined;
}

/** The ranges of the quoted scalars, in document order. */
function quotedRanges(document: Document, meter?: ReadMeter): [number, number][] {
  const ranges: [number, number][] = [];
  visit(document, {
    Node(_key, node) {
      if (meter) meter.steps += 1;
      if (isScalar(node) && (node.type === Scalar.QUOTE_DOUBLE || node.type === Scalar.QUOTE_SINGLE) && node.range) ranges.push([node.range[0], node.range[1]]);
    },
  });
  // Visiting is document order and quoted scalars do not overlap: ascending, as firstOutside needs.
  return ranges;
}

const YAML11_LINE_BREAK = /[\u0085\u2028\u2029]/g;

/**
 * NEL, LS and PS are line breaks in YAML 1.1 (PyYAML, so CloudFormation and cfn-lint break the line there) but
 * ordinary characters in 1.2 (the yaml library). Outside quotes they would change the template's structure for one
 * reader and not the other, so they are refused there. Inside quotes PyYAML keeps LS and PS as they are (as the
 * yaml library does) but folds NEL into a space, so NEL is refused everywhere.
 */
export function refuseYaml11LineBreaks(text: string, document: Document, lineCounter: LineCounter, meter?: ReadMeter): void {
  const found = [...text.matchAll(YAML11_LINE_BREAK)].map((match) => match.index);
  if (found.length === 0) return;
  const nel = found.find((offset) => text[offset] === '\u0085');
  const unquoted = firstOutside(found, quotedRanges(document, meter), meter);
  const outside = nel === undefined || (unquoted !== undefined && unquoted < nel) ? unquoted : nel;
  if (outside === undefined) return;
  const { line, col } = lineCounter.linePos(outside);
  const code = `U+${text.charCodeAt(outside).toString(16).toUpperCase().padStart(4, '0')}`;
  throw new CfnYamlError(
    `${code} at line ${line}, column ${col} is a line break in YAML 1.1, which CloudFormation uses (YAML 1.2 readers do not break the line there): put the value in quotes or remove the character`,
  );
}
