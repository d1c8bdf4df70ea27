// How the CLI writes one new value over the user's YAML (src/cli/yaml-edit.ts, with yaml-replace.ts and
// yaml-tokens.ts): a string keeps the old scalar's style, a block scalar keeps its own indentation, a value inside a
// flow collection stays flow, a new block collection takes the input's indentation, and the tag and anchor of the
// replaced value go with it. Each case is the whole text, byte for byte; editYamlTemplate returns a text only when
// it reads back as the output it was given, so each expected text was checked by reading it too.
import { describe, expect, it } from 'vitest';
import { readCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { editYamlTemplate } from '../../../src/cli/yaml-edit.js';
import type { Json } from '../../../src/template/types.js';

type Template = Record<string, Json> & { R: Record<string, Json> & Json[] };

/** The text written for `input` after `change` edits its JSON form (undefined: written afresh). */
function edited(input: string, change: (template: Template) => void): string | undefined {
  const source = readCfnYaml(input);
  const output = structuredClone(source.value) as Template;
  change(output);
  return editYamlTemplate(source, output);
}

describe('Function: editYamlTemplate (a string replacing a block scalar)', () => {
  it.each([
    [
      'at the old content indentation, empty lines unindented',
      'R:\n  Script: |\n      echo old\n      done\n',
      'echo new\n\nline 3\n',
      'R:\n  Script: |\n      echo new\n\n      line 3\n',
    ],
    ['the indentation of the first line with content', 'R:\n  Script: |\n\n      echo old\n', 'echo new\n', 'R:\n  Script: |\n      echo new\n'],
    [
      'the indentation of the first line with content, not of a line of spaces before it',
      'R:\n  Script: |\n    \n      echo old\n',
      'echo new\n',
      'R:\n  Script: |\n      echo new\n',
    ],
    ['folded, strip chomping', 'R:\n  Text: >-\n     some words\n', 'other words', 'R:\n  Text: >-\n     other words\n'],
    ['literal, keep chomping', 'R:\n  Text: |+\n     some words\n\n', 'other\n\n', 'R:\n  Text: |+\n     other\n\n'],
    ['a sequence item', 'R:\n  - |\n    a\n', 'b\n', 'R:\n  - |\n    b\n'],
    // An empty block scalar shows no content indentation: two past the indicator's column.
    ['an empty one: two columns past the indicator', 'R:\n  Script: |\nS: 1\n', 'echo new\n', 'R:\n  Script: |\n            echo new\nS: 1\n'],
  ])('%s', (_case, input, value, expected) => {
    // R's first entry (or item) is the block scalar.
    const first = (template: Template) => (Array.isArray(template.R) ? 0 : Object.keys(template.R)[0]!);
    expect(edited(input, (template) => ((template.R as Record<string | number, Json>)[first(template)] = value))).toBe(expected);
  });

  it('writes a string that needs an indentation indicator (it starts with a space) double-quoted instead', () => {
    expect(edited('R:\n  Text: |\n    a\n', (template) => (template.R.Text = '  indented\n'))).toBe('R:\n  Text: "  indented\\n"\n');
  });
});

describe('Function: editYamlTemplate (the style of a replaced scalar)', () => {
  it('keeps the quotes of the string under a short tag; a string replacing the whole tagged value takes the plain style', () => {
    expect(edited("R:\n  V: !Sub 'a-${X}'\n", (template) => (template.R.V = { 'Fn::Sub': 'b-${X}' }))).toBe("R:\n  V: !Sub 'b-${X}'\n");
    expect(edited("R:\n  V: !Sub 'a-${X}'\n", (template) => (template.R.V = 'plain'))).toBe('R:\n  V: plain\n');
    expect(edited("R:\n  V:\n    !Sub 'a-${X}'\n", (template) => (template.R.V = 'plain'))).toBe('R:\n  V:\n    plain\n');
  });

  it('writes a value inside a flow mapping in flow style, whatever it is', () => {
    expect(edited('R: {A: x, B: 1}\n', (template) => (template.R.B = { C: 1, D: [2, 3] }))).toBe('R: {A: x, B: {C: 1, D: [2, 3]}}\n');
    expect(edited('R: {A: x, B: "q"}\n', (template) => (template.R.B = 'two\nlines'))).toBe('R: {A: x, B: "two\\nlines"}\n');
  });

  it('keeps the comment inside a flow collection it replaces with a scalar, after the new value', () => {
    expect(edited('R:\n  L: [a,  # note\n     b]\n', (template) => (template.R.L = 'x'))).toBe('R:\n  L: x  # note\n');
  });

  it('writes a short-tag intrinsic and an empty collection on the line of the key; a list replacing a block mapping below it', () => {
    expect(edited('R:\n  V: old\n', (template) => (template.R.V = { 'Fn::If': ['C', 'a', 'b'] }))).toBe('R:\n  V: !If [C, a, b]\n');
    expect(edited('R:\n  V: old\n', (template) => (template.R.V = []))).toBe('R:\n  V: []\n');
    expect(edited('R:\n  M:\n    a: 1\n', (template) => (template.R.M = ['x', 'y']))).toBe('R:\n  M:\n    - x\n    - y\n');
  });

  it('writes a collection replacing a scalar in block style, below the key or after the dash', () => {
    expect(edited('R:\n  V: old\n', (template) => (template.R.V = { A: 1, B: ['x'] }))).toBe('R:\n  V:\n    A: 1\n    B:\n      - x\n');
    expect(edited('R:\n  - old\n', (template) => (template.R[0] = { A: 1, B: ['x'] }))).toBe('R:\n  - A: 1\n    B:\n      - x\n');
  });
});

describe("Function: editYamlTemplate (a new block collection in the input's layout)", () => {
  const toList = (template: Template) => {
    template.S = ['a', 'b'];
  };

  it.each([
    ['no block collection: two spaces, items indented', 'R: {A: 1}\nS: x\n', toList, 'R: {A: 1}\nS:\n  - a\n  - b\n'],
    ['four-space mappings, no block sequence: items indented', 'R:\n    A: 1\nS: x\n', toList, 'R:\n    A: 1\nS:\n    - a\n    - b\n'],
    ['indented items', 'L:\n  - a\nS: x\n', toList, 'L:\n  - a\nS:\n  - a\n  - b\n'],
    ['items at the column of their key', 'L:\n- a\nS: x\n', toList, 'L:\n- a\nS:\n- a\n- b\n'],
    ['indented items, the first one on the line below its dash', 'R:\n  -\n    a: 1\nS: x\n', toList, 'R:\n  -\n    a: 1\nS:\n  - a\n  - b\n'],
    ['indented items, the first one empty', 'L:\n  -\n  - b\nS: x\n', toList, 'L:\n  -\n  - b\nS:\n  - a\n  - b\n'],
    [
      'the first nested mapping sets the step (4), not a later one (2)',
      'A:\n    B:\n      C: 1\nS: x\n',
      (template: Template) => (template.S = { D: { E: 1 } }),
      'A:\n    B:\n      C: 1\nS:\n    D:\n        E: 1\n',
    ],
    [
      'a root mapping that is itself indented',
      '  R:\n    A: 1\n  S: x\n',
      (template: Template) => (template.S = { B: { C: 1 } }),
      '  R:\n    A: 1\n  S:\n    B:\n      C: 1\n',
    ],
    ['an empty value before the first nested mapping', 'N:\nR:\n  A: 1\n', (template: Template) => (template.R.A = 2), 'N:\nR:\n  A: 2\n'],
  ])('%s', (_case, input, change, expected) => {
    expect(edited(input, change)).toBe(expected);
  });
});

describe('Function: editYamlTemplate (what goes with a replaced value)', () => {
  it.each([
    ['its tag', 'L:\n  - !Ref Old\n  - b\n', 'L:\n  - new\n  - b\n'],
    ['its tag on the line above it', 'L:\n  - !Ref\n    Old\n  - b\n', 'L:\n  - new\n  - b\n'],
  ])('a sequence item takes %s with it', (_case, input, expected) => {
    expect(edited(input, (template) => ((template.L as Json[])[0] = 'new'))).toBe(expected);
  });

  it('takes its anchor with it, on the line of the key or on the line above the value', () => {
    expect(edited('L:\n  V: &a !Ref Old\n', (template) => ((template.L as Record<string, Json>).V = 'new'))).toBe('L:\n  V: new\n');
    expect(edited('L:\n  V: &a\n    old\n', (template) => ((template.L as Record<string, Json>).V = 'new'))).toBe('L:\n  V:\n    new\n');
  });

  it('reads a block scalar whose text starts with # as text, not as a comment to keep', () => {
    expect(edited('L:\n  V: |\n    #!/bin/sh\n    echo\n  W: 1\n', (template) => ((template.L as Record<string, Json>).V = 5))).toBe('L:\n  V: 5\n  W: 1\n');
    expect(
      edited('L:\n  - |\n    # x\n  - 1\n', (template) => {
        (template.L as Json[])[0] = ['a'];
        (template.L as Json[])[1] = 2;
      }),
    ).toBe('L:\n  - - a\n  - 2\n');
  });
});
