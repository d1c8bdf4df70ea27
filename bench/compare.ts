// Transform speed of this checkout against another one (`npm run bench:compare -- ../before`), for refactorings that
// must not slow the macro down. Both transforms are bundled as the macro bundle is (esbuild, minified: tsx wraps
// every function in a naming helper that production code does not have) and run alternately in one process, in
// both orders, since whichever runs first after the JSON round trip is measurably favoured on this machine.
import { build } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
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

/** after/before per order and their geometric mean; the outputs must agree, or the comparison means nothing. */
function compare(before: Transform, after: Transform, functions: number): { orders: number[]; mean: number } {
  const fragment = syntheticTemplate(functions);
  const context = { region: BENCH_REGION, accountId: BENCH_ACCOUNT, templateParameterValues: syntheticParameterValues(fragment) };
  const defaults = { mirrorFunctionArn: `arn:aws:lambda:${BENCH_REGION}:${BENCH_ACCOUNT}:function:sysdig-image-fix-mirror` };
  if (JSON.stringify(before(fragment, context, defaults)) !== JSON.stringify(after(fragment, context, defaults))) {
    throw new Error(`the two checkouts transform the synthetic template (${functions} functions) differently`);
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
  return { orders, mean };
}

const other = process.argv[2];
if (other === undefined) throw new Error('usage: npm run bench:compare -- <path of the checkout to compare with>');
const outDir = mkdtempSync(join(tmpdir(), 'sysdig-image-fix-compare-'));
try {
  const before = await bundledTransform(resolve(other), outDir, 'before');
  const after = await bundledTransform(resolve(new URL('..', import.meta.url).pathname), outDir, 'after');
  const rows = TRANSFORM_SIZES.map((functions) => {
    const { orders, mean } = compare(before, after, functions);
    return [String(functions), mean.toFixed(3), orders.map((ratio) => ratio.toFixed(3)).join(' ')];
  });
  process.stdout.write(`transform time, this checkout / ${other} (bundled, medians, ${ROUNDS_PER_ORDER} rounds per order)\n`);
  process.stdout.write(`${textTable(['FUNCTIONS', 'RATIO', 'EACH ROUND (BEFORE FIRST, AFTER FIRST, ...)'], rows).join('\n')}\n`);
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
