// Transform cost relative to the cheapest thing the macro cannot avoid: reading and writing the
// same fragment as JSON (what Lambda does around every invocation anyway).
import { transform } from '../src/template/transform.js';
import { BENCH_ACCOUNT, BENCH_REGION, syntheticParameterValues, syntheticTemplate } from './synthetic.js';
import { medianInterleaved, type BenchMetric, type BenchSection } from './types.js';

// The largest stays under CloudFormation's 500 resources (functions plus their mirrors), which the transform enforces:
// 300 functions are 482 resources once transformed (360 of the template, 122 mirrors), the scale of a real stack at
// the quota. Each size reports its resource count, so a change to the synthetic template that shrinks it shows.
export const TRANSFORM_SIZES = [10, 100, 300] as const;
const LARGEST: number = TRANSFORM_SIZES[TRANSFORM_SIZES.length - 1]!;
export const TRANSFORM_RATIO_GOAL = 1.5;

/**
 * Enough rounds for a stable median without making the largest template slow (a round of 300 functions takes a few
 * milliseconds; 25 rounds were chosen when the largest size was 1,000 functions and a round took several times that).
 */
function roundsFor(functions: number): number {
  return functions >= LARGEST ? 101 : functions >= 100 ? 41 : 201;
}

/**
 * Untimed rounds before each size: the transform is JavaScript that the JIT compiles again for each new template
 * size (its first rounds took two to three times the steady time here, and three warm-up rounds let them into the
 * median); the JSON round trip is native code.
 */
const WARMUP_ROUNDS = 20;

const resourceCount = (fragment: unknown): number => {
  const resources = (fragment as { Resources?: unknown }).Resources;
  return typeof resources === 'object' && resources !== null ? Object.keys(resources).length : 0;
};

export const transformSection: BenchSection = {
  name: 'transform',
  description: 'transform time / (JSON.stringify + JSON.parse of the same fragment), median, same run',
  async run() {
    const metrics: BenchMetric[] = [];
    for (const functions of TRANSFORM_SIZES) {
      const fragment = syntheticTemplate(functions);
      const context = { region: BENCH_REGION, accountId: BENCH_ACCOUNT, templateParameterValues: syntheticParameterValues(fragment) };
      const defaults = { mirrorFunctionArn: `arn:aws:lambda:${BENCH_REGION}:${BENCH_ACCOUNT}:function:sysdig-image-fix-mirror` };
      const check = transform(fragment, context, defaults);
      if (!check.ok) throw new Error(`synthetic template (${functions}) does not transform: ${JSON.stringify(check.errors.slice(0, 3))}`);
      const [transformMs, jsonMs] = medianInterleaved(
        [() => transform(fragment, context, defaults), () => JSON.parse(JSON.stringify(fragment))],
        roundsFor(functions),
        WARMUP_ROUNDS,
      ) as [number, number];
      const suffix = functions === LARGEST ? '' : String(functions);
      metrics.push(
        {
          key: `transformRatio${suffix}`,
          label: `ratio, ${functions} functions`,
          value: transformMs / jsonMs,
          unit: 'x',
          ...(functions === LARGEST ? { max: TRANSFORM_RATIO_GOAL } : {}),
        },
        { key: `transformMs${functions}`, label: `transform, ${functions} functions`, value: transformMs, unit: 'ms' },
        { key: `jsonRoundTripMs${functions}`, label: `JSON round trip, ${functions} functions`, value: jsonMs, unit: 'ms' },
        { key: `transformResources${functions}`, label: `resources once transformed, ${functions} functions`, value: resourceCount(check.fragment), unit: '' },
      );
    }
    return metrics;
  },
};
