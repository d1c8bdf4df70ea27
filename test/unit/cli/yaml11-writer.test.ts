// What the CLI writes reads back as what it meant. The writer (cfn-yaml-writer.ts, and yaml-edit.ts when it writes
// over the user's text) leaves a string plain only when a YAML 1.1 reader takes it for a string: the yaml library
// quotes whatever one of the 1.1 scalar types of src/cli/yaml11.ts would resolve, and writes numbers, booleans and
// null in forms a 1.1 reader takes back (`.nan`, `-.inf`, `1.0e+21`). Checked here with the CLI's own reader, whose
// readings test/unit/cli/yaml11-readings.test.ts pins to cfn-lint's; test/integration/yaml11-readings.test.ts reads
// the same texts with cfn-lint itself.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { stringifyCfnYaml } from '../../../src/cli/cfn-yaml-writer.js';
import { editYamlTemplate } from '../../../src/cli/yaml-edit.js';
import type { Json } from '../../../src/template/types.js';
import { canonicalJson } from '../../../src/values.js';
import { comparable } from '../../support/cfn-yaml-oracle.js';
import { WRITTEN_SCALARS, writtenForms } from '../../support/yaml11-readings.js';

/** The reading as JSON, with non-finite numbers as the oracle's {"$float": ...} (JSON would make them null). */
const asRead = (value: unknown): string => canonicalJson(comparable(value));

/**
 * The texts the CLI writes for `value`: afresh in every place a scalar can stand (writtenForms), and over a template
 * that held a plain or a quoted string there (yaml-edit keeps the old style where the new value allows it).
 */
function written(value: Json): string[] {
  const forms = [...writtenForms(value)];
  for (const source of ['a: old\nb: [old, x]\nc: !Sub old\n', "a: 'old'\nb: ['old', x]\nc: !Sub \"old\"\n"]) {
    const output = { a: value, b: [value, 'x'], c: typeof value === 'string' ? { 'Fn::Sub': value } : value };
    const text = editYamlTemplate(readCfnYaml(source), output);
    // A one-line value is written in place; only a line break may make the editor give up (the caller then writes
    // the template afresh, as above).
    if (typeof value !== 'string' || !value.includes('\n')) expect(text, `editing ${JSON.stringify(source)} to ${JSON.stringify(output)}`).toBeDefined();
    if (text !== undefined) forms.push({ text, output });
  }
  return forms.map(({ text, output }) => {
    expect(asRead(readCfnYaml(text).value), `--- written:\n${text}`).toBe(asRead(output));
    return text;
  });
}

describe('Function: stringifyCfnYaml and editYamlTemplate (scalars read back as themselves)', () => {
  it.each(WRITTEN_SCALARS.strings.map((text) => [JSON.stringify(text), text]))('the string %s', (_name, text) => {
    expect(written(text).length).toBeGreaterThan(0);
  });

  it.each(WRITTEN_SCALARS.others.map((value) => [String(value), value]))('the %s', (_name, value) => {
    expect(written(value as Json).length).toBeGreaterThan(0);
  });

  it('any string of the characters that make YAML 1.1 scalars (digits, signs, dots, colons, letters of yes/no/null/inf)', () => {
    const character = fc.constantFrom(...'0123456789+-._:eExXbBoOyYnNtTfFlLuUaAiI~=< TZ\t'.split(''));
    fc.assert(
      fc.property(fc.array(character, { maxLength: 12 }), (characters) => {
        written(characters.join(''));
      }),
      { numRuns: 300 },
    );
  });

  it('writes non-finite numbers as 1.1 spells them, not as strings or null', () => {
    expect(stringifyCfnYaml({ a: Number.NaN, b: Infinity, c: -Infinity })).toBe('a: .nan\nb: .inf\nc: -.inf\n');
    expect(stringifyCfnYaml({ a: null, b: true, c: false })).toBe('a: null\nb: true\nc: false\n');
  });
});
