// The readings recorded in test/fixtures/yaml-reading-edges.json are cfn-lint's: read each text again with
// cfn-lint's decoder and compare (test/unit/cli/yaml-read-edges.test.ts holds the CLI to the recording).
import { describe, expect, it } from 'vitest';
import { readWithCfnLint } from '../support/cfn-yaml-oracle.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { READING_EDGES } from '../support/yaml-reading-edges.js';

describe.skipIf(!haveTools(TOOLS.cfnLint))('YAML reading edges: the recorded readings are what cfn-lint reads', () => {
  it('reads every recorded text as recorded (the same value, or the same refusal)', async () => {
    expect(READING_EDGES.length).toBeGreaterThanOrEqual(10);
    const readings = await readWithCfnLint(READING_EDGES.map((edge) => edge.text));
    expect(readings).toEqual(READING_EDGES.map((edge) => edge.cfnLint));
  });
});
