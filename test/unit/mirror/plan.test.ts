import { describe, expect, it } from 'vitest';
import {
  attributesFromPhysicalId,
  keptImageUri,
  planMirror,
  sameEffectivePlan,
  type CopyPlan,
  type KeepPlan,
} from '../../../src/mirror/plan.js';
import { parseProperties } from '../../../src/mirror/properties.js';

const here = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012', urlSuffix: 'amazonaws.com' };
const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const HEX = 'c'.repeat(64);

function plan(properties: Record<string, unknown>, prefix = 'sysdig-image-fix') {
  return planMirror(parseProperties(properties), here, prefix);
}

describe('Function: planMirror', () => {
  it('copies a Quay image to <prefix>/<host>/<path>, keeping the tag', () => {
    expect(plan({ SourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0', Architecture: 'arm64' })).toEqual({
      kind: 'copy',
      sourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0',
      architecture: 'arm64',
      platform: 'linux/arm64',
      repositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher',
      repositoryUri: `${ECR}/sysdig-image-fix/quay.io/sysdig/serverless-patcher`,
      targetImage: `${ECR}/sysdig-image-fix/quay.io/sysdig/serverless-patcher:6.2.0`,
    });
  });

  it('tags a digest-only source sha256-<hex> and uses the resource prefix over the default', () => {
    const copy = plan({ SourceImage: `ghcr.io/org/tool@sha256:${HEX}`, RepositoryPrefix: 'mirrors' }, 'ignored') as CopyPlan;
    expect(copy.repositoryName).toBe('mirrors/ghcr.io/org/tool');
    expect(copy.targetImage).toBe(`${ECR}/mirrors/ghcr.io/org/tool:sha256-${HEX}`);
  });

  it('keeps private ECR of this region, any account', () => {
    const keep = plan({ SourceImage: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/app:1' });
    expect(keep).toEqual({
      kind: 'keep',
      sourceImage: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/app:1',
      sourceLiteral: '210987654321.dkr.ecr.eu-west-1.amazonaws.com/app:1',
      architecture: 'x86_64',
      platform: 'linux/amd64',
    });
  });

  it.each([
    ['ECR of another region', '123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1', 'sysdig-image-fix/123456789012.dkr.ecr.us-east-1.amazonaws.com/app'],
    ['ECR FIPS of this region', '123456789012.dkr.ecr-fips.eu-west-1.amazonaws.com/app:1', 'sysdig-image-fix/123456789012.dkr.ecr-fips.eu-west-1.amazonaws.com/app'],
    ['ECR Public', 'public.ecr.aws/lambda/nodejs:20', 'sysdig-image-fix/public.ecr.aws/lambda/nodejs'],
    ['a registry with a port', 'registry.example.com:5000/a/b:1', 'sysdig-image-fix/registry.example.com_5000/a/b'],
  ])('copies from %s', (_label, source, repositoryName) => {
    expect(plan({ SourceImage: source })).toMatchObject({ kind: 'copy', repositoryName });
  });
});

describe('Function: sameEffectivePlan', () => {
  const base = plan({ SourceImage: 'quay.io/a/b:1' });
  it('ignores how the target is named and the timeout, not what is copied', () => {
    expect(sameEffectivePlan(base, plan({ SourceImage: 'quay.io/a/b:1', ServiceTimeout: '60', RepositoryName: 'sysdig-image-fix/quay.io/a/b' }))).toBe(true);
    expect(sameEffectivePlan(base, plan({ SourceImage: 'quay.io/a/b:2' }))).toBe(false);
    expect(sameEffectivePlan(base, plan({ SourceImage: 'quay.io/a/b:1', Architecture: 'arm64' }))).toBe(false);
    expect(sameEffectivePlan(base, plan({ SourceImage: 'quay.io/a/b:1', RepositoryPrefix: 'other' }))).toBe(false);
  });
});

describe('Function: attributesFromPhysicalId', () => {
  const copy = plan({ SourceImage: 'quay.io/a/b:1' }) as CopyPlan;
  it('rebuilds Data from an ImageUri of the planned repository', () => {
    expect(attributesFromPhysicalId(copy, `${copy.repositoryUri}@sha256:${HEX}`)).toEqual({
      ImageUri: `${copy.repositoryUri}@sha256:${HEX}`,
      ImageDigest: `sha256:${HEX}`,
      RepositoryUri: copy.repositoryUri,
      RepositoryName: 'sysdig-image-fix/quay.io/a/b',
      SourceImage: 'quay.io/a/b:1',
      Platform: 'linux/amd64',
    });
  });

  it.each([
    ['a failed-create placeholder', 'sysdig-image-fix-failed-0123456789abcdef'],
    ['another repository', `${ECR}/elsewhere@sha256:${HEX}`],
    ['an unpinned image', `${ECR}/sysdig-image-fix/quay.io/a/b:1`],
    ['tag@digest', `${ECR}/sysdig-image-fix/quay.io/a/b:1@sha256:${HEX}`],
  ])('refuses %s', (_label, physicalId) => {
    expect(attributesFromPhysicalId(copy, physicalId)).toBeUndefined();
  });
});

describe('Function: keptImageUri', () => {
  const keep = plan({ SourceImage: `${ECR}/app:1` }) as KeepPlan;
  it('pins by digest when known, else answers the source as given', () => {
    expect(keptImageUri(keep, `sha256:${HEX}`)).toBe(`${ECR}/app@sha256:${HEX}`);
    expect(keptImageUri(keep, undefined)).toBe(`${ECR}/app:1`);
    const pinned = plan({ SourceImage: `${ECR}/app:1@sha256:${HEX}` }) as KeepPlan;
    expect(keptImageUri(pinned, undefined)).toBe(`${ECR}/app@sha256:${HEX}`);
  });
});
