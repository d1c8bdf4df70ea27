// `npm run bench` (after `npm run build`): every section in SECTIONS, as a table or, with --json,
// as ONE JSON line. To add a benchmark, write a BenchSection (see bench/types.ts) and list it here.
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { textTable } from '../src/cli/table.js';
import { copySection } from './copy.js';
import { deployTimeSection } from './deploy-time.js';
import { engineSection } from './engine.js';
import { macroBundleSection } from './macro-bundle-section.js';
import { transformSection } from './transform-section.js';
import { yamlReadSection } from './yaml-read-section.js';
import type { BenchMetric, BenchSection } from './types.js';

// The harness's SDK clients run on Node 20 here; its Node 22 notice (aws-sdk-js-v3 #7983) is not a measurement.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const SECTIONS: readonly BenchSection[] = [transformSection, yamlReadSection, macroBundleSection, copySection, deployTimeSection, engineSection];

function formatValue({ value, unit }: BenchMetric): string {
  if (value === null) return 'n/a (not measured)';
  switch (unit) {
    case 'bytes':
      return `${value} B (${(value / 1024).toFixed(1)} KiB)`;
    case 'ms':
      return `${value.toFixed(2)} ms`;
    case 'x':
      return `${value.toFixed(2)}x`;
    default:
      return String(value);
  }
}

/** A goal counts as met only when it was measured. */
function goalMet(metric: BenchMetric): boolean {
  return metric.max === undefined || (metric.value !== null && metric.value <= metric.max);
}

function formatGoal(metric: BenchMetric): string {
  if (metric.max === undefined) return '';
  const goal = metric.unit === 'bytes' ? `<= ${metric.max / 1024} KiB` : metric.unit === 'x' ? `<= ${metric.max}x` : `<= ${metric.max} ${metric.unit}`;
  return `${goal}  ${metric.value === null ? 'NOT MEASURED' : goalMet(metric) ? 'met' : 'MISSED'}`;
}

function table(results: readonly { section: BenchSection; metrics: readonly BenchMetric[] }[]): string {
  const rows = results.flatMap(({ section, metrics }) => metrics.map((metric) => [section.name, metric.label, formatValue(metric), formatGoal(metric)]));
  const notes = results.map(({ section }) => `  ${section.name}: ${section.description}`);
  return [...textTable(['SECTION', 'METRIC', 'VALUE', 'GOAL'], rows), '', ...notes].join('\n');
}

const { values } = parseArgs({ options: { json: { type: 'boolean' }, only: { type: 'string', multiple: true } } });
const selected = values.only ? SECTIONS.filter((section) => values.only!.includes(section.name)) : SECTIONS;
if (selected.length === 0) throw new Error(`--only matches no section; sections: ${SECTIONS.map((s) => s.name).join(', ')}`);

const results: { section: BenchSection; metrics: readonly BenchMetric[] }[] = [];
for (const section of selected) {
  if (!values.json) process.stderr.write(`running ${section.name}...\n`);
  results.push({ section, metrics: await section.run() });
}

if (values.json) {
  const line: Record<string, number | boolean | string | null> = { node: process.version, cpus: cpus().length };
  for (const { metrics } of results) {
    for (const { key, value, unit } of metrics) line[key] = value === null || unit === 'bytes' ? value : Number(value.toFixed(3));
  }
  line.goalsMet = results.every(({ metrics }) => metrics.every(goalMet));
  process.stdout.write(`${JSON.stringify(line)}\n`);
} else {
  process.stdout.write(`sysdig-image-fix bench: node ${process.version}, ${cpus().length} CPUs\n\n${table(results)}\n`);
}
