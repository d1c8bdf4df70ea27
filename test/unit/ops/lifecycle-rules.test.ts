// ECR lifecycle policies: which rules could remove (or archive) an image with given tags.
import { describe, expect, it } from 'vitest';
import { describeRule, parseLifecyclePolicy, ruleSelects } from '../../../src/ops/lifecycle-rules.js';

const policy = (rules: unknown[]) => JSON.stringify({ rules });

describe('Function: parseLifecyclePolicy', () => {
  it('keeps expire and transition rules, says what each does, and drops other actions', () => {
    const rules = parseLifecyclePolicy(
      policy([
        {
          rulePriority: 1,
          description: 'old untagged',
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          selection: { tagStatus: 'tagged', tagPrefixList: ['v'], tagPatternList: ['*-rc*'], countType: 'imageCountMoreThan', countNumber: 5 },
          action: { type: 'expire' },
        },
        {
          rulePriority: 3,
          selection: { tagStatus: 'any', countType: 'sinceImagePulled', countUnit: 'days', countNumber: 90 },
          action: { type: 'transition', targetStorageClass: 'archive' },
        },
        { rulePriority: 4, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'something-new' } },
      ]),
    )!;
    expect(rules.map(describeRule)).toEqual([
      'rule 1 ("old untagged"): expire untagged images pushed more than 14 days ago',
      'rule 2: expire images tagged v* or *-rc* beyond the newest 5',
      'rule 3: archive any image not pulled for 90 days',
    ]);
  });

  it('gives undefined for text that is not a policy', () => {
    for (const text of ['', '{', '[]', '{"rules": {}}', '{"rules": [{"rulePriority": 1}]}']) expect(parseLifecyclePolicy(text)).toBeUndefined();
  });
});

describe('Function: ruleSelects', () => {
  const [untagged, tagged, any] = parseLifecyclePolicy(
    policy([
      { rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
      {
        rulePriority: 2,
        selection: { tagStatus: 'tagged', tagPrefixList: ['1.'], tagPatternList: ['latest', 'sha256-*'], countType: 'imageCountMoreThan', countNumber: 1 },
        action: { type: 'expire' },
      },
      { rulePriority: 3, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
    ]),
  )!;

  it('untagged takes only images without tags', () => {
    expect(ruleSelects(untagged!, [])).toBe(true);
    expect(ruleSelects(untagged!, ['1.0'])).toBe(false);
  });

  it('tagged takes an image when any tag has a listed prefix or matches a pattern (whole tag, * any run)', () => {
    expect(ruleSelects(tagged!, ['1.27'])).toBe(true);
    expect(ruleSelects(tagged!, ['2.0', 'latest'])).toBe(true);
    expect(ruleSelects(tagged!, [`sha256-${'ab'.repeat(32)}`])).toBe(true);
    expect(ruleSelects(tagged!, ['latest-1', '2.0'])).toBe(false);
    expect(ruleSelects(tagged!, [])).toBe(false);
  });

  it('any takes every image', () => {
    expect(ruleSelects(any!, [])).toBe(true);
    expect(ruleSelects(any!, ['x'])).toBe(true);
  });
});
