// YAML 1.1 scalars as CloudFormation's linter reads them: every text of test/fixtures/yaml11-readings.json, recorded
// from cfn-lint's decoder itself (test/integration/yaml11-readings.test.ts checks the recording still holds), must
// read with the CLI as the same JSON, or be refused by both. The texts pin each rule of src/cli/yaml11.ts: digits and
// anchors of integers under !!int, base 60, floats with and without exponent, every boolean spelling, times of day at
// their limits, time zone offsets, fractions of more than six digits, mapping keys as Python compares and prints them.
import { describe, expect, it } from 'vitest';
import { readCfnYaml } from '../../../src/cli/cfn-yaml.js';
import { CfnYamlError } from '../../../src/cli/errors.js';
import { canonicalJson } from '../../../src/values.js';
import { comparable } from '../../support/cfn-yaml-oracle.js';
import { loadReadings, type RecordedReading } from '../../support/yaml11-readings.js';

const file = loadReadings();

function refusal(text: string): unknown {
  try {
    readCfnYaml(text);
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('Function: readCfnYaml (YAML 1.1 scalars, as cfn-lint reads them)', () => {
  describe.each(file.groups.map((group) => [group.topic, group.readings] as const))('%s', (_topic, readings) => {
    it.each(readings.map((reading): [string, RecordedReading] => [JSON.stringify(reading.text), reading]))('%s', (_name, reading) => {
      if ('error' in reading) {
        // A refusal is a CfnYamlError (the CLI's message names the line), never a crash of the reader.
        expect(refusal(reading.text), `cfn-lint refuses it: ${reading.error}`).toBeInstanceOf(CfnYamlError);
      } else {
        expect(canonicalJson(comparable(readCfnYaml(reading.text).value))).toBe(canonicalJson(reading.value));
      }
    });
  });

  it('the recording holds both readings and refusals of every kind of scalar', () => {
    const readings = file.groups.flatMap((group) => group.readings);
    expect(readings.filter((reading) => 'error' in reading).length).toBeGreaterThanOrEqual(50);
    expect(readings.filter((reading) => 'value' in reading).length).toBeGreaterThanOrEqual(200);
    for (const tag of ['!!int', '!!float', '!!bool', '!!null', '!!timestamp', '! ']) expect(readings.some((reading) => reading.text.includes(tag))).toBe(true);
  });

  // What the user reads when a scalar cannot be constructed: the scalar as written and where it is.
  it.each([
    ['a: !!int 0b12\n', '"0b12" is not an integer at line 1, column 4'],
    ['a: !!int 1:x\n', '"1:x" is not an integer at line 1, column 4'],
    ['a: !!float 1.5x\n', '"1.5x" is not a floating point number at line 1, column 4'],
    ['a: !!bool y\n', '"y" is not a boolean at line 1, column 4'],
    ['a: !!timestamp abc\n', '"abc" is not a timestamp at line 1, column 4'],
    ['a: 2001-02-30\n', 'timestamp "2001-02-30" is not a calendar date at line 1, column 4'],
    ['a: 2001-12-14 24:00:00\n', 'timestamp "2001-12-14 24:00:00" is not a time of day at line 1, column 4'],
    ['b: 1\na: 2001-12-14 21:59:43 +24\n', 'timestamp "2001-12-14 21:59:43 +24" has a time zone offset of a day or more at line 2, column 4'],
    ['a: ! "="\n', '! "=" reads as a plain =, which is not a value in YAML 1.1 (PyYAML cannot load it) at line 1, column 6'],
    ['a: ! <<\n', '! "<<" reads as a plain <<, which is not a value in YAML 1.1 (PyYAML cannot load it) at line 1, column 6'],
  ])('refuses %j saying why: %s', (text, message) => {
    const error = refusal(text);
    expect(error).toBeInstanceOf(CfnYamlError);
    // The yaml library's own errors end their first line with a colon (its excerpt of the text follows).
    expect((error as Error).message.split('\n')[0]!.replace(/:$/, '')).toBe(message);
  });

  it('names one problem for a mapping key that is no integer, and nothing else (its identity as a key is not sought)', () => {
    expect((refusal('{0b_: a}\n') as Error).message).toBe('"0b_" is not an integer at line 1, column 2:\n\n{0b_: a}\n ^^^');
  });
});
