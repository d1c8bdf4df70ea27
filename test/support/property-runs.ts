// How many cases a property test draws. `npm test` and CI draw the full count. Mutation runs
// (vitest.mutate.config.ts) set SYSDIG_IMAGE_FIX_MUTATION_RUN: each surviving mutant reruns every test that reaches
// it, and at full counts the properties over whole templates made src/template's run take hours of the 2-core
// machine. A tenth still draws every shape the generators make; a mutant only a full count would catch is reported
// as surviving, so the measured score is a lower bound, never an overstatement.

/** The number of runs for a property whose full count is `runs`. */
export function propertyRuns(runs: number): number {
  if (process.env.SYSDIG_IMAGE_FIX_MUTATION_RUN === undefined) return runs;
  return Math.min(runs, Math.max(25, Math.ceil(runs / 10)));
}
