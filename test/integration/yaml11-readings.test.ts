// test/fixtures/yaml11-readings.json is cfn-lint's word: every text, read again by cfn-lint's decoder, gives the
// recorded reading (the unit suite test/unit/cli/yaml11-readings.test.ts holds the CLI to it without cfn-lint).
// And what the CLI writes for each scalar (test/unit/cli/yaml11-writer.test.ts) reads in cfn-lint as what it meant.
import { beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/values.js';
import { comparable, type OracleReading, readWithCfnLint } from '../support/cfn-yaml-oracle.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { loadReadings, recorded, WRITTEN_SCALARS, writtenForms } from '../support/yaml11-readings.js';

const file = loadReadings();

describe.skipIf(!haveTools(TOOLS.cfnLint))('YAML 1.1 readings: test/fixtures/yaml11-readings.json is what cfn-lint reads', () => {
  const readings = file.groups.flatMap((group) => group.readings);
  const written = [...WRITTEN_SCALARS.strings, ...WRITTEN_SCALARS.others].flatMap((value) => writtenForms(value));
  let now: OracleReading[] = [];
  let writtenRead: OracleReading[] = [];

  beforeAll(async () => {
    now = await readWithCfnLint(readings.map((reading) => reading.text));
    writtenRead = await readWithCfnLint(written.map((form) => form.text));
  });

  it('cfn-lint reads every text of the fixture as recorded (rerecord with test/support/record-yaml11-readings.ts)', () => {
    expect(now.length).toBe(readings.length);
    const changed = readings
      .map((reading, index) => ({ recorded: canonicalJson(reading), now: canonicalJson(recorded(reading.text, now[index]!)) }))
      .filter((pair) => pair.recorded !== pair.now);
    expect(changed).toEqual([]);
  });

  it("cfn-lint reads the CLI's YAML for every scalar as the value written", () => {
    expect(written.length).toBeGreaterThan(1000);
    const problems = written
      .map((form, index) => ({ text: form.text, meant: canonicalJson(comparable(form.output)), read: writtenRead[index]! }))
      .filter(({ meant, read }) => !('value' in read) || canonicalJson(read.value) !== meant);
    expect(problems.slice(0, 5)).toEqual([]);
  });
});
