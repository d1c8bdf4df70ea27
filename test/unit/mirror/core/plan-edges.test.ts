// Decisions of a plan that the handler acts on: whether an image already in the repository needs no build (it holds
// its own tag), what a kept source answers, which physical ids an unchanged resource may be rebuilt from, and how
// messages name what is copied.
import { describe, expect, it } from 'vitest';
import {
  attributesFor,
  attributesFromPhysicalId,
  describePlatforms,
  holdsItsTag,
  keptImageUri,
  sameEffectivePlan,
  withTargetTag,
  type CopyPlan,
  type KeepPlan,
} from '../../../../src/mirror/core/plan.js';
import { HERE_ECR as ECR, planAt as plan } from '../fixtures/plans.js';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const OTHER = `sha256:${'b'.repeat(64)}`;

describe('Function: holdsItsTag', () => {
  const copy = plan({ SourceImage: 'quay.io/a/b:1', Architecture: 'arm64' }) as CopyPlan;

  it('MUTABLE: an image with any tag needs no build, one without a tag does (a build gives it its tag)', () => {
    const mutable = withTargetTag(copy, 'MUTABLE', DIGEST);
    expect(holdsItsTag(mutable, 'MUTABLE', ['1-arm64'])).toBe(true);
    expect(holdsItsTag(mutable, 'MUTABLE', ['0.9-arm64'])).toBe(true);
    expect(holdsItsTag(mutable, 'MUTABLE', [])).toBe(false);
  });

  it('IMMUTABLE: only its own content tag will do', () => {
    const immutable = withTargetTag(copy, 'IMMUTABLE', DIGEST);
    expect(holdsItsTag(immutable, 'IMMUTABLE', [`sha256-${'a'.repeat(64)}`, 'x'])).toBe(true);
    expect(holdsItsTag(immutable, 'IMMUTABLE', ['1-arm64'])).toBe(false);
    expect(holdsItsTag(immutable, 'IMMUTABLE', [`sha256-${'b'.repeat(64)}`])).toBe(false);
    expect(holdsItsTag(immutable, 'IMMUTABLE', [])).toBe(false);
    expect(holdsItsTag(withTargetTag(copy, 'IMMUTABLE', undefined), 'IMMUTABLE', ['1-arm64'])).toBe(true);
  });
});

describe('Function: describePlatforms', () => {
  it('names one platform by its OCI name and a whole image as all platforms', () => {
    expect(describePlatforms(plan({ SourceImage: 'quay.io/a/b:1' }))).toBe('linux/amd64');
    expect(describePlatforms(plan({ SourceImage: 'quay.io/a/b:1', Architecture: 'arm64' }))).toBe('linux/arm64');
    expect(describePlatforms(plan({ SourceImage: 'quay.io/a/b:1', Platforms: 'all' }))).toBe('all platforms');
  });
});

describe('Function: attributes of a kept source', () => {
  const keep = plan({ SourceImage: `${ECR}/team/app:1` }) as KeepPlan;

  it('answers the source as given, with no digest, when its digest is unknown', () => {
    expect(attributesFor(keep, keptImageUri(keep, undefined))).toEqual({
      ImageUri: `${ECR}/team/app:1`,
      ImageDigest: '',
      RepositoryUri: `${ECR}/team/app`,
      RepositoryName: 'team/app',
      SourceImage: `${ECR}/team/app:1`,
      Platform: 'linux/amd64',
    });
  });

  it('prefers the digest the function read to a pin the source carried', () => {
    const pinned = plan({ SourceImage: `${ECR}/team/app:1@${OTHER}` }) as KeepPlan;
    expect(keptImageUri(pinned, DIGEST)).toBe(`${ECR}/team/app@${DIGEST}`);
  });

  it('rebuilds Data from a physical id of the same repository only', () => {
    expect(attributesFromPhysicalId(keep, `${ECR}/team/app@${DIGEST}`)).toMatchObject({ ImageUri: `${ECR}/team/app@${DIGEST}`, ImageDigest: DIGEST });
    expect(attributesFromPhysicalId(keep, `${ECR}/team/app:1`)).toMatchObject({ ImageUri: `${ECR}/team/app:1`, ImageDigest: '' });
    expect(attributesFromPhysicalId(keep, `${ECR}/team/other@${DIGEST}`)).toBeUndefined();
    expect(attributesFromPhysicalId(keep, `210987654321.dkr.ecr.eu-west-1.amazonaws.com/team/app@${DIGEST}`)).toBeUndefined();
    expect(attributesFromPhysicalId(keep, 'sysdig-image-fix-failed-0123456789abcdef')).toBeUndefined();
  });

  it('takes no physical id that is not an image reference (a hand-written resource may have had any)', () => {
    const copy = plan({ SourceImage: 'quay.io/a/b:1' });
    for (const physicalId of ['Not An Image!', '', `${ECR}/team/app@sha256:short`]) {
      expect(attributesFromPhysicalId(keep, physicalId), physicalId).toBeUndefined();
      expect(attributesFromPhysicalId(copy, physicalId), physicalId).toBeUndefined();
    }
  });
});

describe('Function: sameEffectivePlan (kept sources)', () => {
  it('a kept source is the same plan for the same source and platform only', () => {
    const keep = plan({ SourceImage: `${ECR}/team/app:1` });
    expect(sameEffectivePlan(keep, plan({ SourceImage: `${ECR}/team/app:1`, ServiceTimeout: '60' }))).toBe(true);
    expect(sameEffectivePlan(keep, plan({ SourceImage: `${ECR}/team/app:2` }))).toBe(false);
    expect(sameEffectivePlan(keep, plan({ SourceImage: `${ECR}/team/app:1`, Architecture: 'arm64' }))).toBe(false);
    // A source that moved into this region's ECR is kept now, where it was copied before.
    expect(sameEffectivePlan(plan({ SourceImage: 'quay.io/a/b:1' }), keep)).toBe(false);
    expect(sameEffectivePlan(keep, plan({ SourceImage: 'quay.io/a/b:1' }))).toBe(false);
  });
});
