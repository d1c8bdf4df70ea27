// Transform speed of this checkout against another one (`npm run bench:compare -- ../before`), for refactorings that
// must not slow the macro down. Both transforms are bundled as the macro bundle is (esbuild, minified: tsx wraps
// every function in a naming helper that production code does not have) and run alternately in one process, in
// both orders, since whichever runs first after the JSON round trip is measurably favoured on this machine.
// The two must transform the synthetic templates to the same result, or the comparison means nothing. Against a
// checkout whose output differs on purpose (an older release), `--allow-output-change` compares anyway and says, per
// size, where the results first differ: the times are then of two programs doing different work.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { textTable } from '../src/cli/table.js';
import type { Transform } from '../src/template/types.js';
import { BENCH_ACCOUNT, BENCH_REGION, syntheticParameterValues, syntheticTemplate } from './synthetic.js';
import { TRANSFORM_SIZES } from './transform-section.js';
import { medianInterleaved } from './types.js';

const ROUNDS_PER_ORDER = 3;

async function bundledTransform(checkout: string, outDir: string, name: string): Promise<Transform> {
  const outfile = join(outDir, `${name}.mjs`);
  await build({
    entryPoints: [join(checkout, 'src/template/transform.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    logLevel: 'warning',
  });
  const loaded = (await import(pathToFileURL(outfile).href)) as { transform: Transform };
  return loaded.transform;
}

function roundsFor(functions: number): number {
  return functions >= 300 ? 91 : functions >= 100 ? 201 : 1001;
}

/** Where two texts first differ, with some context from each; undefined when they are the same. */
function firstDifference(before: string, after: string): string | undefined {
  if (before === after) return undefined;
  let at = 0;
  while (at < before.length && at < after.length && before[at] === after[at]) at++;
  const around = (text: string) => JSON.stringify(text.slice(Math.max(0, at - 40), at + 80));
  return `at character ${at}: before ${around(before)}, after ${around(after)}`;
}

/**
 * after/before per order and their geometric mean. The outputs must agree unless `allowOutputChange`, which reports
 * where they differ instead (`difference`).
 */
function compare(before: Transform, after: Transform, functions: number, allowOutputChange: boolean): { orders: number[]; mean: number; difference?: string } {
  const fragment = syntheticTemplate(functions);
  const context = { region: BENCH_REGION, accountId: BENCH_ACCOUNT, templateParameterValues: syntheticParameterValues(fragment) };
  const defaults = { mirrorFunctionArn: `arn:aws:lambda:${BENCH_REGION}:${BENCH_ACCOUNT}:function:sysdig-image-fix-mirror` };
  const difference = firstDifference(JSON.stringify(before(fragment, context, defaults)), JSON.stringify(after(fragment, context, defaults)));
  if (difference !== undefined && !allowOutputChange) {
    throw new Error(
      `the two checkouts transform the synthetic template (${functions} functions) differently, ${difference}; ` +
        'if that change is intended, compare with --allow-output-change (the times are then of different work)',
    );
  }
  const runBefore = () => before(fragment, context, defaults);
  const runAfter = () => after(fragment, context, defaults);
  const roundTrip = () => JSON.parse(JSON.stringify(fragment));
  const orders: number[] = [];
  for (let round = 0; round < ROUNDS_PER_ORDER; round++) {
    const [b1, a1] = medianInterleaved([runBefore, runAfter, roundTrip], roundsFor(functions)) as [number, number];
    const [a2, b2] = medianInterleaved([runAfter, runBefore, roundTrip], roundsFor(functions)) as [number, number];
    orders.push(a1 / b1, a2 / b2);
  }
  const mean = Math.exp(orders.reduce((sum, ratio) => sum + Math.log(ratio), 0) / orders.length);
  return { orders, mean, ...(difference !== undefined ? { difference } : {}) };
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'allow-output-change': { type: 'boolean' } } });
const other = positionals[0];
if (other === undefined || positionals.length > 1) {
  throw new Error('usage: npm run bench:compare -- <path of the checkout to compare with> [--allow-output-change]');
}
const allowOutputChange = values['allow-output-change'] === true;
const outDir = mkdtempSync(join(tmpdir(), 'sysdig-image-fix-compare-'));
try {
  const before = await bundledTransform(resolve(other), outDir, 'before');
  const after = await bundledTransform(resolve(new URL('..', import.meta.url).pathname), outDir, 'after');
  const differences: string[] = [];
  const rows = TRANSFORM_SIZES.map((functions) => {
    const { orders, mean, difference } = compare(before, after, functions, allowOutputChange);
    if (difference !== undefined) differences.push(`  ${functions} functions: the outputs differ ${difference}`);
    return [String(functions), mean.toFixed(3), orders.map((ratio) => ratio.toFixed(3)).join(' ')];
  });
  process.stdout.write(`transform time, this checkout / ${other} (bundled, medians, ${ROUNDS_PER_ORDER} rounds per order)\n`);
  process.stdout.write(`${textTable(['FUNCTIONS', 'RATIO', 'EACH ROUND (BEFORE FIRST, AFTER FIRST, ...)'], rows).join('\n')}\n`);
  if (differences.length > 0) process.stdout.write(`--allow-output-change: the two do different work at these sizes\n${differences.join('\n')}\n`);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
