// Reading a template (the CLI's readCfnYaml: parse, 1.1 scalars, short tags, aliases, merge keys, line-break check)
// relative to the yaml library's own parse of the same text, for generated 1 MB templates (CloudFormation's limit) of
// each shape that once made reading grow faster than the text (test/support/yaml-shapes.ts).
import { parseDocument } from 'yaml';
import { readCfnYaml } from '../src/cli/cfn-yaml.js';
import { YAML_SHAPES, type YamlShape } from '../test/support/yaml-shapes.js';
import { medianInterleaved, type BenchMetric, type BenchSection } from './types.js';

export const YAML_READ_BYTES = 1_000_000;
export const YAML_READ_RATIO_GOAL = 2;
/** A 1 MB read takes a second or more on a busy machine: few rounds, each shape read in alternation with the library. */
const ROUNDS = 5;
const WARMUP = 1;

/** `alias keys` -> `AliasKeys`, for the --json keys. */
function keyOf(shape: YamlShape): string {
  return shape.replace(/(?:^|\s)(\w)/g, (_, letter: string) => letter.toUpperCase());
}

export const yamlReadSection: BenchSection = {
  name: 'yaml-read',
  description: `CLI reading a generated ${YAML_READ_BYTES / 1e6} MB template / the yaml library's parseDocument (YAML 1.1, uniqueKeys off) of the same text, per shape, median, same run`,
  async run() {
    const metrics: BenchMetric[] = [];
    for (const [shape, generate] of Object.entries(YAML_SHAPES) as [YamlShape, (bytes: number) => string][]) {
      const text = generate(YAML_READ_BYTES);
      readCfnYaml(text); // throws when the generated template is not readable: then there is nothing to measure
      // The library parses as the reader asks it to (YAML 1.1, keys not checked for uniqueness: the reader checks them
      // as PyYAML does); its own key check compares each key with every other key of its mapping.
      const parse = () => parseDocument(text, { version: '1.1', uniqueKeys: false });
      const [readMs, parseMs] = medianInterleaved([() => readCfnYaml(text), parse], ROUNDS, WARMUP) as [number, number];
      const key = keyOf(shape);
      metrics.push(
        { key: `yamlReadRatio${key}`, label: `ratio, ${shape} (${text.length} B)`, value: readMs / parseMs, unit: 'x', max: YAML_READ_RATIO_GOAL },
        { key: `yamlReadMs${key}`, label: `CLI read, ${shape}`, value: readMs, unit: 'ms' },
        { key: `yamlParseMs${key}`, label: `yaml parseDocument, ${shape}`, value: parseMs, unit: 'ms' },
      );
    }
    return metrics;
  },
};
