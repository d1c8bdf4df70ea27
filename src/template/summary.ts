// What the macro says about one transform: the failure message CloudFormation shows the user, and
// the log summary. Neither carries the template or parameter values (they may hold secrets).
import { MACRO_NAME } from '../contract.js';
import { getOwn, hasOwn } from './json.js';
import { capText, MAX_FAILURE_MESSAGE_CHARS, MAX_PROBLEM_CHARS, shownId } from './message.js';
import type { SiteReport, TransformProblem, Verdict } from './types.js';

/** A problem's text, naming its resource (the transform's messages usually do already), at most MAX_PROBLEM_CHARS. */
export function describeProblem(problem: TransformProblem): string {
  const id = problem.logicalId;
  const text = id === undefined || problem.message.includes(shownId(id)) ? problem.message : `Resource ${shownId(id)}: ${problem.message}`;
  return capText(text, MAX_PROBLEM_CHARS);
}

/** Said in place of the problems that do not fit. */
const untold = (count: number): string => ` … and ${count} more (sysdig-image-fix transform on the template lists every problem)`;

/**
 * All problems in one message, numbered, each naming the resource it belongs to; at most MAX_FAILURE_MESSAGE_CHARS,
 * the first problems whole and the rest counted, so CloudFormation's status reason starts with what to fix first.
 */
export function formatProblems(problems: readonly TransformProblem[]): string {
  let message = `${MACRO_NAME} found ${problems.length === 1 ? '1 problem' : `${problems.length} problems`}:`;
  for (const [index, problem] of problems.entries()) {
    // The CloudFormation console shows the message on one line, so problems are numbered inline.
    const next = ` (${index + 1}) ${describeProblem(problem)}`;
    const after = problems.length - index - 1;
    // Room is kept for saying how many are left untold, should the next problem not fit.
    const reserve = after > 0 ? untold(after).length : 0;
    // The first problem always fits: it is at most MAX_PROBLEM_CHARS, a quarter of the message.
    if (message.length + next.length + reserve > MAX_FAILURE_MESSAGE_CHARS) return message + untold(problems.length - index);
    message += next;
  }
  return message;
}

/** Problems for a log entry: the first 20, each cut (a log entry is not a dump; CloudWatch cuts entries at 256 KB). */
export function problemsForLog(problems: readonly TransformProblem[]): TransformProblem[] {
  return problems.slice(0, 20).map((problem) => {
    const message = capText(problem.message, MAX_PROBLEM_CHARS);
    return problem.logicalId === undefined ? { message } : { logicalId: shownId(problem.logicalId), message };
  });
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
