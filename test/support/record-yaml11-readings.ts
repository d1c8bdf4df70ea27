// `npx tsx test/support/record-yaml11-readings.ts`: (re)records test/fixtures/yaml11-readings.json from cfn-lint.
// To pin a new form, add `{"text": "..."}` to a group (or a new group) and run this; it asks cfn-lint for every
// text, writes its readings and prints each one that changed. Review the file before committing it.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { canonicalJson } from '../../src/values.js';
import { readWithCfnLint } from './cfn-yaml-oracle.js';
import { formatReadings, loadReadings, READINGS_FILE, type ReadingsFile, recorded } from './yaml11-readings.js';

const VERSIONS_PY = `
import platform, importlib.metadata as m
print("cfn-lint %s, PyYAML %s, Python %s" % (m.version("cfn-lint"), m.version("PyYAML"), platform.python_version()))
`;

async function main(): Promise<void> {
  const file = loadReadings();
  const texts = file.groups.flatMap((group) => group.readings.map((reading) => reading.text));
  const oracle = await readWithCfnLint(texts);
  let index = 0;
  const groups = file.groups.map((group) => ({
    topic: group.topic,
    readings: group.readings.map((old) => {
      const reading = recorded(old.text, oracle[index++]!);
      if (canonicalJson(reading) !== canonicalJson(old)) process.stdout.write(`${JSON.stringify(old)}\n  -> ${JSON.stringify(reading)}\n`);
      return reading;
    }),
  }));
  const versions = spawnSync('python3', ['-c', VERSIONS_PY], { encoding: 'utf8' });
  if (versions.status !== 0) throw new Error(`python3 failed: ${versions.stderr}`);
  const next: ReadingsFile = { about: file.about, recordedWith: versions.stdout.trim(), groups };
  writeFileSync(READINGS_FILE, formatReadings(next));
  process.stdout.write(`${texts.length} readings recorded (${next.recordedWith}) in ${READINGS_FILE}\n`);
}

await main();
