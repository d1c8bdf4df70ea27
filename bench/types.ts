// What a bench section is, and the timing and reporting helpers every section shares.
import { spawnSync } from 'node:child_process';
import type { ToolCheck } from '../test/support/tools.js';
// Add a benchmark by writing a BenchSection and listing it in SECTIONS (bench/run.ts).

export interface BenchMetric {
  /** Key in the `--json` line; unique across sections. */
  readonly key: string;
  /** Human label for the table. */
  readonly label: string;
  /** null: not measured (a tool the section needs is missing; the section says why on stderr). */
  readonly value: number | null;
  readonly unit: '' | 'ms' | 'bytes' | 'x';
  /** The project's goal: the value must be at most this. */
  readonly max?: number;
}

export interface BenchSection {
  readonly name: string;
  /** One line: what is measured and against what. */
  readonly description: string;
  run(): Promise<readonly BenchMetric[]>;
}

/** Milliseconds since `start` (`process.hrtime.bigint()`). */
export function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Milliseconds one call of `fn` takes (high-resolution clock). */
export function timeOnce(fn: () => unknown): number {
  const start = process.hrtime.bigint();
  fn();
  return elapsedMs(start);
}

/**
 * Times several functions in alternation (a, b, a, b, ...) so drift of a shared machine hits them
 * alike, after `warmup` untimed rounds. Returns the median per function.
 */
export function medianInterleaved(fns: readonly (() => unknown)[], rounds: number, warmup = 3): number[] {
  for (let i = 0; i < warmup; i++) for (const fn of fns) fn();
  const samples = fns.map(() => [] as number[]);
  for (let i = 0; i < rounds; i++) for (const [index, fn] of fns.entries()) samples[index]!.push(timeOnce(fn));
  return samples.map(median);
}

/** A section's metrics with the values a run measured; a metric without a value is reported as not measured. */
export function metricsWithValues<K extends string>(
  metrics: ReadonlyArray<Omit<BenchMetric, 'value'> & { readonly key: K }>,
  values: Partial<Record<K, number>>,
): BenchMetric[] {
  return metrics.map((metric) => ({ ...metric, value: values[metric.key] ?? null }));
}

/** The tools that are missing, probed without throwing (a section reports nulls instead of failing). */
export function missingBenchTools(tools: readonly ToolCheck[]): ToolCheck[] {
  return tools.filter((tool) => spawnSync(tool.probe[0]!, tool.probe.slice(1), { stdio: 'ignore', timeout: 30_000 }).status !== 0);
}
