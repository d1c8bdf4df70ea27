// test/fixtures/yaml11-readings.json: how cfn-lint's decoder (PyYAML's SafeLoader, YAML 1.1) reads small texts that
// pin each scalar rule of src/cli/yaml11.ts, recorded from the tool itself (test/support/record-yaml11-readings.ts).
// test/unit/cli/yaml11-readings.test.ts checks the CLI against the recording; test/integration/yaml11-readings.test.ts
// checks that cfn-lint still reads every text so.
import { readFileSync } from 'node:fs';
import { stringifyCfnYaml } from '../../src/cli/cfn-yaml-writer.js';
import type { Json } from '../../src/template/types.js';
import type { OracleReading } from './cfn-yaml-oracle.js';

export const READINGS_FILE = new URL('../fixtures/yaml11-readings.json', import.meta.url).pathname;

/** One text and cfn-lint's reading of it: its JSON form (the oracle's), or the first line of its error. */
export type RecordedReading = { readonly text: string } & ({ readonly value: unknown } | { readonly error: string });

export interface ReadingGroup {
  /** What the texts of the group pin, in a reader's words. */
  readonly topic: string;
  readonly readings: readonly RecordedReading[];
}

export interface ReadingsFile {
  readonly about: readonly string[];
  /** The versions the readings were recorded with. */
  readonly recordedWith: string;
  readonly groups: readonly ReadingGroup[];
}

export function loadReadings(path = READINGS_FILE): ReadingsFile {
  return JSON.parse(readFileSync(path, 'utf8')) as ReadingsFile;
}

/** A reading as the fixture records it: errors by their first line (the rest is cfn-lint's context). */
export function recorded(text: string, reading: OracleReading): RecordedReading {
  return 'error' in reading ? { text, error: reading.error.split('\n')[0]! } : { text, value: reading.value };
}

/** The fixture's text: one reading per line, so that a review reads it as a table and a diff shows each change. */
export function formatReadings(file: ReadingsFile): string {
  const groups = file.groups.map((group) => {
    const readings = group.readings.map((reading) => `        ${JSON.stringify(reading)}`).join(',\n');
    return `    {\n      "topic": ${JSON.stringify(group.topic)},\n      "readings": [\n${readings}\n      ]\n    }`;
  });
  const about = file.about.map((line) => `    ${JSON.stringify(line)}`).join(',\n');
  return `{\n  "about": [\n${about}\n  ],\n  "recordedWith": ${JSON.stringify(file.recordedWith)},\n  "groups": [\n${groups.join(',\n')}\n  ]\n}\n`;
}

/**
 * Values the writer must write so that they read back as themselves: as strings, the scalar of every `a: <scalar>`
 * text of the fixture and every string it reads as (they look like numbers, dates, booleans, null, `=`, tags), and
 * strings YAML gives a meaning at their start or end; numbers at the edges of their written forms, booleans, null.
 */
export const WRITTEN_SCALARS: { readonly strings: readonly string[]; readonly others: readonly (number | boolean | null)[] } = (() => {
  const strings = new Set<string>();
  for (const group of loadReadings().groups) {
    for (const reading of group.readings) {
      const match = /^a: (.*)\n$/.exec(reading.text);
      if (match) strings.add(match[1]!);
      if ('value' in reading && typeof (reading.value as { a?: unknown } | null)?.a === 'string') strings.add((reading.value as { a: string }).a);
    }
  }
  for (const text of [
    '',
    ' ',
    ' 12',
    '12 ',
    '12\n',
    '1\n2',
    '- 1',
    '? 1',
    '#1',
    '1 #2',
    '1: 2',
    '&a',
    '*a',
    '!a',
    '%a',
    '@a',
    '`a',
    '|',
    '>',
    '"1"',
    "'1'",
    '<<',
    '[1]',
    '{a: 1}',
  ])
    strings.add(text);
  const others = [
    0,
    1,
    -1,
    12,
    493,
    0.5,
    -0.5,
    1.5,
    80.5,
    1e15,
    1e16,
    1e21,
    1.5e300,
    1e-7,
    5e-324,
    Number.MAX_VALUE,
    Number.MAX_SAFE_INTEGER,
    NaN,
    Infinity,
    -Infinity,
    true,
    false,
    null,
  ];
  return { strings: [...strings], others };
})();

/**
 * What the writer makes of `value` (a string, number, boolean or null) in each place it can stand: a mapping value,
 * a block sequence item, the argument of a short tag, an item of a flow sequence, and (a string) a mapping key.
 */
export function writtenForms(value: Json): { text: string; output: Json }[] {
  const outputs: Json[] = [{ a: value }, { a: [value] }, { a: { 'Fn::Join': ['', [value, 'x']] } }];
  if (typeof value === 'string') outputs.push({ a: { 'Fn::Sub': value } }, { [value]: 'x' }, { a: { [value]: { Ref: value } } });
  return outputs.map((output) => ({ text: stringifyCfnYaml(output), output }));
}
