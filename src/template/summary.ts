// What the macro says about one transform: the failure message CloudFormation shows the user, and
// the log summary. Neither carries the template or parameter values (they may hold secrets).
import { MACRO_NAME } from '../contract.js';
import { getOwn, hasOwn } from './json.js';
import type { SiteReport, TransformProblem, Verdict } from './types.js';

/** A problem's text, naming its resource (the transform's messages usually do already). */
export function describeProblem(problem: TransformProblem): string {
  if (problem.logicalId === undefined || problem.message.includes(problem.logicalId)) return problem.message;
  return `Resource ${problem.logicalId}: ${problem.message}`;
}

/** All problems in one message, numbered, each naming the resource it belongs to. */
export function formatProblems(problems: readonly TransformProblem[]): string {
  const lines = problems.map(describeProblem);
  const count = lines.length === 1 ? '1 problem' : `${lines.length} problems`;
  // The CloudFormation console shows the message on one line, so problems are numbered inline.
  return `${MACRO_NAME} found ${count}: ${lines.map((line, index) => `(${index + 1}) ${line}`).join(' ')}`;
}

export interface TransformSummary {
  readonly sites: number;
  readonly verdicts: Readonly<Record<Verdict, number>>;
  /** Logical ids of the Custom::ImageMirror resources the sites read from, sorted, once each. */
  readonly mirrors: readonly string[];
  /** Those of `mirrors` this transform added: the others were in its input already (an earlier run's output). */
  readonly injected: readonly string[];
}

/** `input`: the fragment the transform was given, to tell the mirrors it added from those already there. */
export function summarizeSites(sites: readonly SiteReport[], input?: unknown): TransformSummary {
  const verdicts: Record<Verdict, number> = { keep: 0, mirror: 0, 'deploy-time': 0, skip: 0, failed: 0 };
  const mirrors = new Set<string>();
  for (const site of sites) {
    verdicts[site.verdict] += 1;
    if (site.mirrorLogicalId !== undefined) mirrors.add(site.mirrorLogicalId);
  }
  const sorted = [...mirrors].sort();
  const existing = getOwn(input, 'Resources');
  return { sites: sites.length, verdicts, mirrors: sorted, injected: sorted.filter((id) => !hasOwn(existing, id)) };
}
