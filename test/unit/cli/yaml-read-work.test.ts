// Reading a template does work proportional to its text (issue 16: alias keys and line separators once made it
// quadratic). Counted, never timed: the reader's meter counts its steps (nodes visited, aliases looked up, line
// breaks placed), and the yaml library's whole-document walk for an alias must never run.
import fc from 'fast-check';
import { Alias, LineCounter, parseDocument, visit } from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_ALIASED_NODES, parseCfnYaml, readCfnYaml, type ReadMeter } from '../../../src/cli/cfn-yaml.js';
import { CfnYamlError } from '../../../src/cli/errors.js';
import { firstOutside, indexAliases, refuseYaml11LineBreaks } from '../../../src/cli/yaml-index.js';
import { YAML_SHAPES, type YamlShape } from '../../support/yaml-shapes.js';

function stepsToRead(text: string): number {
  const meter: ReadMeter = { steps: 0 };
  readCfnYaml(text, { meter });
  return meter.steps;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Function: readCfnYaml (work)', () => {
  const shapes = Object.keys(YAML_SHAPES) as YamlShape[];

  it.each(shapes)('reads %s in steps proportional to the text: 8 times the text, at most 8.5 times the steps', (shape) => {
    const small = YAML_SHAPES[shape](25_000);
    const large = YAML_SHAPES[shape](200_000);
    const [few, many] = [stepsToRead(small), stepsToRead(large)];
    expect(few).toBeGreaterThan(1000);
    // Quadratic work would be 64 times; the 0.5 of margin is the shape's fixed header.
    expect(many / few).toBeLessThanOrEqual(8.5 * (large.length / small.length / 8));
    // And about one step for every few characters, whatever the shape.
    expect(many).toBeLessThan(large.length);
  });

  it('never walks the document to find what an alias names (the yaml library walks it once per alias)', () => {
    const resolve = vi.spyOn(Alias.prototype, 'resolve');
    for (const shape of ['alias keys', 'merge keys'] as const) readCfnYaml(YAML_SHAPES[shape](20_000));
    expect(parseCfnYaml('k: &k key\nm: {*k : 1}\nn:\n  *k : 2\n')).toEqual({ k: 'key', m: { key: 1 }, n: { key: 2 } });
    expect(resolve).not.toHaveBeenCalled();
  });

  it('looks a short tag up among a fixed set of schema tags, however many different names the text uses', () => {
    // The yaml library finds a node's tag by walking the schema's list: one entry per name made that quadratic.
    const few = readCfnYaml(YAML_SHAPES['distinct short tags'](100));
    const many = readCfnYaml(YAML_SHAPES['distinct short tags'](50_000));
    expect((many.value as { Metadata: { Tagged: Record<string, unknown> } }).Metadata.Tagged.Key700).toEqual({ 'Fn::Tag700': 'value 700' });
    expect(many.document.schema.tags.length).toBe(few.document.schema.tags.length);
  });

  it('refuses what PyYAML cannot compose: an anchor defined twice, an alias inside the node it names', () => {
    expect(parseCfnYaml('a: &x [1, 2]\nb: *x\nc: {k: *x}\n')).toEqual({ a: [1, 2], b: [1, 2], c: { k: [1, 2] } });
    expect(() => parseCfnYaml('a: &x 1\nb: *x\nc: &x 2\n')).toThrow(
      new CfnYamlError('duplicate anchor &x at line 3, column 7 (first at line 1, column 7; PyYAML refuses a repeated anchor)'),
    );
    expect(() => parseCfnYaml('c: &x [2, *x]\n')).toThrow(
      new CfnYamlError('the alias *x at line 1, column 11 is inside the node it names (a recursive structure has no JSON form)'),
    );
    expect(() => parseCfnYaml('c: &x {a: {b: *x}}\n')).toThrow(/^the alias \*x at line 1, column 15 is inside the node it names/);
  });
});

describe('Function: readCfnYaml (alias guard)', () => {
  it('counts the keys an alias copies, not only the values', () => {
    // 6 x 10 x 10 x 10 = 6,000 copied pairs: 6,000 values and the collections holding them stay under 10,000; with
    // their 6,000 keys the copies are over it.
    const pairs = Array.from({ length: 10 }, (_, i) => `k${i}: ${i}`).join(', ');
    const ten = (name: string) => `[${Array(10).fill(`*${name}`).join(', ')}]`;
    const text = `a: &a {${pairs}}\nb: &b ${ten('a')}\nc: &c ${ten('b')}\nd: [${Array(6).fill('*c').join(', ')}]\n`;
    expect(text.length).toBeLessThan(MAX_ALIASED_NODES);
    expect(() => parseCfnYaml(text)).toThrow(new RegExp(`^aliases expand to more than ${MAX_ALIASED_NODES} nodes at line`));
  });

  it('counts what a merge key copies, values included', () => {
    // 200 merges of one pair whose value is a list of 100: 20,000+ copied nodes from a 4 KB text.
    const list = `[${Array.from({ length: 100 }, (_, i) => i).join(', ')}]`;
    const lines = [`b: &b {k: ${list}}`, ...Array.from({ length: 200 }, (_, i) => `m${i}: {<<: *b}`)];
    expect(() => parseCfnYaml(lines.join('\n'))).toThrow(/aliases expand to more than 10000 nodes/);
  });

  it('allows as many copied nodes as the text has characters, so any template up to 1 MB of merges reads', () => {
    const text = YAML_SHAPES['merge keys'](300_000);
    const functions = (parseCfnYaml(text) as { Metadata: { Functions: Record<string, unknown> } }).Metadata.Functions;
    expect(Object.keys(functions).length).toBeGreaterThan(4000);
    expect(functions.Function7).toEqual({ Runtime: 'nodejs24.x', MemorySize: 256, Timeout: 60, Architectures: ['arm64'], Handler: 'index7.handler' });
  });
});

describe('Function: firstOutside', () => {
  const sortedOffsets = fc.uniqueArray(fc.nat(2000), { maxLength: 60 }).map((values) => values.sort((a, b) => a - b));
  const ranges = fc.uniqueArray(fc.nat(2000), { maxLength: 60 }).map((values) => {
    const bounds = values.sort((a, b) => a - b);
    const pairs: [number, number][] = [];
    for (let i = 0; i + 1 < bounds.length; i += 2) pairs.push([bounds[i]!, bounds[i + 1]!]);
    return pairs;
  });

  it('answers as checking every offset against every range would, in one step per offset it looks at and per range it passes', () => {
    fc.assert(
      fc.property(sortedOffsets, ranges, (offsets, quoted) => {
        const meter: ReadMeter = { steps: 0 };
        const expected = offsets.find((offset) => !quoted.some(([start, end]) => offset > start && offset < end));
        expect(firstOutside(offsets, quoted, meter)).toBe(expected);
        expect(firstOutside(offsets, quoted)).toBe(expected);
        // Looked at: the offsets up to the answer; passed: the ranges that end at or before the last of those.
        const looked = expected === undefined ? offsets.length : offsets.indexOf(expected) + 1;
        const last = offsets[looked - 1] ?? -1;
        expect(meter.steps).toBe(looked + quoted.filter(([, end]) => end <= last).length);
        expect(meter.steps).toBeLessThanOrEqual(offsets.length + quoted.length);
      }),
      // And an offset at the very end of a range (outside it: the range is passed first).
      {
        seed: 16,
        numRuns: 300,
        examples: [
          [
            [5, 9],
            [
              [1, 5],
              [6, 8],
            ],
          ],
        ],
      },
    );
  });
});

describe('Function: indexAliases, refuseYaml11LineBreaks (counted work)', () => {
  const TEXT = 'a: &x [1, "two", {k: v}]\nb: *x\nc: "line\u2028separator"\nd: [\'p\', "q"]\n';

  function nodesIn(text: string): number {
    let nodes = 0;
    visit(parseDocument(text), {
      Node() {
        nodes += 1;
      },
    });
    return nodes;
  }

  it('indexing the aliases counts one step for each node of the document (one visit)', () => {
    const meter: ReadMeter = { steps: 0 };
    indexAliases(parseDocument(TEXT), new LineCounter(), meter);
    expect(meter.steps).toBe(nodesIn(TEXT));
  });

  it('checking the line breaks counts each node it visits for quotes, each line break and each quoted scalar it passes', () => {
    const meter: ReadMeter = { steps: 0 };
    refuseYaml11LineBreaks(TEXT, parseDocument(TEXT), new LineCounter(), meter);
    // One line break, inside the second of four quoted scalars: the first is passed before it.
    expect(meter.steps).toBe(nodesIn(TEXT) + 1 + 1);
  });
});
