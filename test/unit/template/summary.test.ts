// What the macro says about a transform, at its ceilings: the failure message CloudFormation shows (at most 4,096
// characters, the first problems whole, the rest counted), each problem naming its resource, the log's problems and
// the site summary the CLI prints and the macro logs.
import { describe, expect, it } from 'vitest';
import { MissingMirrorFunctionError } from '../../../src/template/errors.js';
import { capText, shortList } from '../../../src/template/message.js';
import { describeProblem, formatProblems, problemsForLog, summarizeSites } from '../../../src/template/summary.js';
import type { SiteReport, TransformProblem } from '../../../src/template/types.js';

const untold = (count: number) => ` … and ${count} more (sysdig-image-fix transform on the template lists every problem)`;
const problem = (length: number, mark = 'x'): TransformProblem => ({ message: mark.repeat(length) });

describe('formatProblems: the failure message', () => {
  it('says "1 problem" and numbers each problem', () => {
    expect(formatProblems([{ message: 'Template: a' }])).toBe('SysdigImageFix found 1 problem: (1) Template: a');
    expect(formatProblems([{ message: 'a' }, { logicalId: 'F', message: 'b' }])).toBe('SysdigImageFix found 2 problems: (1) a (2) Resource F: b');
  });

  it('keeps a problem that ends exactly at 4,096 characters with room to count the rest, and counts the rest', () => {
    const header = 'SysdigImageFix found 5 problems:';
    const part = (index: number, length: number) => ` (${index}) ${'x'.repeat(length)}`;
    // Problems 1 to 3 of 1,000 characters; the 4th fills the message up to the room kept for "and 1 more".
    const fourth = 4_096 - header.length - 3 * part(1, 1_000).length - untold(1).length - ' (4) '.length;
    const problems = [problem(1_000), problem(1_000), problem(1_000), problem(fourth), problem(1_000)];
    const message = formatProblems(problems);
    expect(message).toBe(header + part(1, 1_000) + part(2, 1_000) + part(3, 1_000) + part(4, fourth) + untold(1));
    expect(message).toHaveLength(4_096);
    // One character more, and the 4th no longer fits: two are counted.
    const over = formatProblems([...problems.slice(0, 3), problem(fourth + 1), problem(1_000)]);
    expect(over).toBe(header + part(1, 1_000) + part(2, 1_000) + part(3, 1_000) + untold(2));
  });

  it('never drops the first problem, however long: it is cut to 1,000 characters', () => {
    const problems = [problem(50_000), ...Array.from({ length: 5 }, () => problem(1_000, 'y'))];
    expect(formatProblems(problems)).toBe(`SysdigImageFix found 6 problems: (1) ${'x'.repeat(999)}… (2) ${'y'.repeat(1_000)} (3) ${'y'.repeat(1_000)}${untold(3)}`);
  });

  it('keeps the last problem when it ends exactly at 4,096 characters (nothing left to count)', () => {
    const header = 'SysdigImageFix found 5 problems:';
    const before = header.length + 3 * ' (1) '.length + 3_000;
    const fourth = 4_096 - before - ' (4) '.length - untold(1).length - 10;
    const last = 4_096 - before - ' (4) '.length - fourth - ' (5) '.length;
    const message = formatProblems([problem(1_000), problem(1_000), problem(1_000), problem(fourth), problem(last)]);
    expect(message).toHaveLength(4_096);
    expect(message.endsWith(` (5) ${'x'.repeat(last)}`)).toBe(true);
  });
});

describe('describeProblem: one problem', () => {
  it('names the resource unless the message does, and cuts the text at 1,000 characters', () => {
    expect(describeProblem({ logicalId: 'F', message: 'Resource F: bad' })).toBe('Resource F: bad');
    expect(describeProblem({ logicalId: 'F', message: 'bad' })).toBe('Resource F: bad');
    expect(describeProblem(problem(1_000))).toBe('x'.repeat(1_000));
    expect(describeProblem(problem(1_001))).toBe(`${'x'.repeat(999)}…`);
  });

  it('names a resource with a 300-character id by its first 255 characters', () => {
    const id = `F${'a'.repeat(299)}`;
    const shown = `${id.slice(0, 254)}…`;
    expect(describeProblem({ logicalId: id, message: 'bad' })).toBe(`Resource ${shown}: bad`);
    expect(describeProblem({ logicalId: id, message: `Resource ${shown}: bad` })).toBe(`Resource ${shown}: bad`);
  });
});

describe('problemsForLog', () => {
  it('the first 20, each cut, with its resource id cut', () => {
    const id = `F${'a'.repeat(299)}`;
    const problems: TransformProblem[] = [{ logicalId: id, message: 'y'.repeat(1_001) }, ...Array.from({ length: 24 }, (_, i) => ({ message: `p${i}` }))];
    const logged = problemsForLog(problems);
    expect(logged).toHaveLength(20);
    expect(logged[0]).toEqual({ logicalId: `${id.slice(0, 254)}…`, message: `${'y'.repeat(999)}…` });
    expect(logged[1]).toEqual({ message: 'p0' });
    expect(logged[19]).toEqual({ message: 'p18' });
  });
});

describe('summarizeSites', () => {
  const site = (logicalId: string, verdict: SiteReport['verdict'], mirrorLogicalId?: string): SiteReport => ({
    logicalId,
    resourceType: 'AWS::Lambda::Function',
    image: 'quay.io/a/b:1',
    verdict,
    ...(mirrorLogicalId !== undefined ? { mirrorLogicalId } : {}),
  });

  it('counts each verdict, names each mirror once, sorted, and which of them were already in the input', () => {
    const sites = [
      site('A', 'mirror', 'ImageMirrorb'),
      site('B', 'mirror', 'ImageMirrora'),
      site('C', 'deploy-time', 'ImageMirrorb'),
      site('D', 'keep'),
      site('E', 'failed'),
    ];
    expect(summarizeSites(sites, { Resources: { ImageMirrorb: {} } })).toEqual({
      sites: 5,
      verdicts: { keep: 1, mirror: 2, 'deploy-time': 1, skip: 0, failed: 1 },
      mirrors: ['ImageMirrora', 'ImageMirrorb'],
      injected: ['ImageMirrora'],
    });
    expect(summarizeSites([site('S', 'skip')])).toEqual({ sites: 1, verdicts: { keep: 0, mirror: 0, 'deploy-time': 0, skip: 1, failed: 0 }, mirrors: [], injected: [] });
  });
});

describe('lists and cuts in messages', () => {
  it('names up to ten items, and counts the rest', () => {
    const items = Array.from({ length: 11 }, (_, i) => `i${i}`);
    expect(shortList(items.slice(0, 10))).toBe(items.slice(0, 10).join(', '));
    expect(shortList(items)).toBe(`${items.slice(0, 10).join(', ')} and 1 more`);
    expect(new MissingMirrorFunctionError(items).message).toBe(
      `Template: resources ${items.slice(0, 10).join(', ')} and 1 more need an image mirror, but no mirror function ARN is configured ` +
        '(set MIRROR_FUNCTION_ARN on the macro function, or pass --mirror-function-arn to the CLI)',
    );
  });

  it('cuts a text only past its limit, to the limit', () => {
    expect(capText('abc', 3)).toBe('abc');
    expect(capText('abcd', 3)).toBe('ab…');
  });
});
