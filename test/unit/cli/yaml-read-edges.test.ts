// Readings at the edges of what src/cli/yaml-index.ts decides while reading: anchors and aliases PyYAML cannot
// compose, and the YAML 1.1 line breaks (NEL, LS, PS) inside and outside quotes. What cfn-lint reads for each text is
// recorded in test/fixtures/yaml-reading-edges.json (re-checked against cfn-lint by
// test/integration/yaml-reading-edges.test.ts); the CLI reads the same or, where the fixture says so, refuses by
// design. The messages are the CLI's own: they name the first offending character or alias and where it is.
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { CfnYamlError } from '../../../src/cli/errors.js';
import { READING_EDGES } from '../../support/yaml-reading-edges.js';

const lineBreakMessage = (code: string, line: number, column: number) =>
  new CfnYamlError(
    `${code} at line ${line}, column ${column} is a line break in YAML 1.1, which CloudFormation uses (YAML 1.2 readers do not break the line there): put the value in quotes or remove the character`,
  );

describe('Function: readCfnYaml (edges recorded from cfn-lint)', () => {
  it.each(READING_EDGES.map((edge) => [edge.about, edge] as const))('%s', (_about, edge) => {
    const read = () => parseCfnYaml(edge.text);
    if ('error' in edge.cfnLint || edge.cli?.startsWith('refuses')) expect(read).toThrow(CfnYamlError);
    else expect(read()).toEqual(edge.cfnLint.value);
  });

  it('says which alias comes before its anchor, and where', () => {
    expect(() => parseCfnYaml('a: [1, *x]\nb: &x 1\n')).toThrow(new CfnYamlError('unknown alias *x at line 1, column 8 (its anchor &x must come before it)'));
  });

  it('names the first YAML 1.1 line break that is refused, whichever kind comes first', () => {
    expect(() => parseCfnYaml('a: b\u2028c\nd: "x\u0085y"\n')).toThrow(lineBreakMessage('U+2028', 1, 5));
    expect(() => parseCfnYaml('a: "x\u0085y"\nd: b\u2028c\n')).toThrow(lineBreakMessage('U+0085', 1, 6));
    expect(() => parseCfnYaml('a: "x\u2028y"\nd: b\u2029c\ne: "\u0085"\n')).toThrow(lineBreakMessage('U+2029', 2, 5));
    expect(() => parseCfnYaml('a: "x\u2028y"\nd: "\u0085"\ne: b\u2029c\n')).toThrow(lineBreakMessage('U+0085', 2, 5));
  });
});
