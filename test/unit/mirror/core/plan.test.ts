import { describe, expect, it } from 'vitest';
import {
  attributesFor,
  attributesFromPhysicalId,
  keptImageUri,
  mirrorTargetTag,
  sameEffectivePlan,
  withTargetTag,
  type CopyPlan,
  type KeepPlan,
} from '../../../../src/mirror/core/plan.js';
import { parseImageReference, tryParseImageReference } from '../../../../src/reference/index.js';
import { HERE_ECR as ECR, planAt as plan } from '../fixtures/plans.js';

const HEX = 'c'.repeat(64);
/** Platform digests of one upstream tag: amd64 and arm64 today, amd64 after the tag was rebuilt (moved). */
const AMD64 = `sha256:${'a'.repeat(64)}`;
const ARM64 = `sha256:${'b'.repeat(64)}`;
const AMD64_REBUILT = `sha256:${'e'.repeat(64)}`;

describe('Function: planMirror', () => {
  it('copies a Quay image to <prefix>/<host>/<path>, tagged after the source tag and the platform', () => {
    expect(plan({ SourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0', Architecture: 'arm64' })).toEqual({
      kind: 'copy',
      sourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0',
      architecture: 'arm64',
      platform: 'linux/arm64',
      repositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher',
      repositoryUri: `${ECR}/sysdig-image-fix/quay.io/sysdig/serverless-patcher`,
      targetImage: `${ECR}/sysdig-image-fix/quay.io/sysdig/serverless-patcher:6.2.0-arm64`,
    });
  });

  it('tags a digest-only source sha256-<hex> and uses the resource prefix (under the stack prefix) over the stack prefix', () => {
    const copy = plan({ SourceImage: `ghcr.io/org/tool@sha256:${HEX}`, RepositoryPrefix: 'mirrors/team' }, 'mirrors') as CopyPlan;
    expect(copy.repositoryName).toBe('mirrors/team/ghcr.io/org/tool');
    expect(copy.targetImage).toBe(`${ECR}/mirrors/team/ghcr.io/org/tool:sha256-${HEX}`);
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
    expect(sameEffectivePlan(base, plan({ SourceImage: 'quay.io/a/b:1', RepositoryPrefix: 'sysdig-image-fix/other' }))).toBe(false);
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

describe('Function: mirrorTargetTag', () => {
  const nginx = parseImageReference('docker.io/library/nginx:1.27');

  it('MUTABLE (the default) keeps the source tag for linux/amd64 whatever the digest (as mirrors always had it), and adds -arm64 and -all', () => {
    expect(mirrorTargetTag(nginx, 'x86_64', 'MUTABLE', AMD64)).toEqual({ tag: '1.27', kind: 'source-tag' });
    expect(mirrorTargetTag(nginx, 'x86_64', 'MUTABLE', undefined)).toEqual({ tag: '1.27', kind: 'source-tag' });
    expect(mirrorTargetTag(nginx, 'arm64', 'MUTABLE', ARM64)).toEqual({ tag: '1.27-arm64', kind: 'source-tag' });
    expect(mirrorTargetTag(nginx, 'all', 'MUTABLE', `sha256:${HEX}`)).toEqual({ tag: '1.27-all', kind: 'source-tag' });
    const digestOnly = parseImageReference(`ghcr.io/org/tool@sha256:${HEX}`);
    expect(mirrorTargetTag(digestOnly, 'x86_64', 'MUTABLE', AMD64).tag).toBe(`sha256-${HEX}`);
    expect(mirrorTargetTag(digestOnly, 'arm64', 'MUTABLE', ARM64).tag).toBe(`sha256-${HEX}-arm64`);
    expect(mirrorTargetTag(digestOnly, 'all', 'MUTABLE', undefined).tag).toBe(`sha256-${HEX}-all`);
  });

  it('gives different content different tags: every kind of mirror of one source, in each mutability', () => {
    // What a mirror holds: one platform (by architecture) or the whole image, and the digest it copied.
    const held = [
      ['x86_64', AMD64],
      ['arm64', ARM64],
      ['x86_64', AMD64_REBUILT],
      ['all', `sha256:${'f'.repeat(64)}`],
      ['all', `sha256:${'d'.repeat(64)}`],
    ] as const;
    for (const source of ['quay.io/sysdig/workload-agent:5.0.1', `quay.io/sysdig/workload-agent@sha256:${HEX}`, `quay.io/sysdig/workload-agent:5.0.1@sha256:${HEX}`]) {
      const ref = parseImageReference(source);
      // IMMUTABLE: every content its own tag, whether or not the function read the digest. MUTABLE: every kind its
      // own tag (a moved upstream tag is the same kind: the tag follows it, by what MUTABLE means).
      for (const resolved of [true, false]) {
        const tags = held.map(([architecture, digest]) => mirrorTargetTag(ref, architecture, 'IMMUTABLE', resolved ? digest : undefined).tag);
        expect(new Set(tags).size, `${source} IMMUTABLE resolved=${resolved}`).toBe(resolved ? held.length : 3);
      }
      const mutable = new Map(held.map(([architecture, digest]) => [architecture, mirrorTargetTag(ref, architecture, 'MUTABLE', digest).tag]));
      expect(new Set(mutable.values()).size, `${source} MUTABLE`).toBe(3);
    }
  });

  it('IMMUTABLE names the platform digest: one tag per architecture and per build of the upstream tag', () => {
    const amd64 = mirrorTargetTag(nginx, 'x86_64', 'IMMUTABLE', AMD64);
    const arm64 = mirrorTargetTag(nginx, 'arm64', 'IMMUTABLE', ARM64);
    const rebuilt = mirrorTargetTag(nginx, 'x86_64', 'IMMUTABLE', AMD64_REBUILT);
    expect(amd64).toEqual({ tag: `sha256-${'a'.repeat(64)}`, kind: 'platform-digest' });
    expect(arm64.tag).toBe(`sha256-${'b'.repeat(64)}`);
    expect(rebuilt.tag).toBe(`sha256-${'e'.repeat(64)}`);
    expect(new Set([amd64.tag, arm64.tag, rebuilt.tag]).size).toBe(3);
    // The same content always gets the same tag, so a repeated mirror finds it.
    expect(mirrorTargetTag(parseImageReference('docker.io/library/nginx:latest'), 'x86_64', 'IMMUTABLE', AMD64).tag).toBe(amd64.tag);
  });

  it('IMMUTABLE without a resolved digest: <source tag>-<amd64|arm64>, still one tag per architecture', () => {
    expect(mirrorTargetTag(nginx, 'arm64', 'IMMUTABLE', undefined)).toEqual({ tag: '1.27-arm64', kind: 'source-tag-arch' });
    expect(mirrorTargetTag(nginx, 'x86_64', 'IMMUTABLE', undefined)).toEqual({ tag: '1.27-amd64', kind: 'source-tag-arch' });
    expect(mirrorTargetTag(parseImageReference('quay.io/a/b'), 'arm64', 'IMMUTABLE', undefined).tag).toBe('latest-arm64');
    expect(mirrorTargetTag(parseImageReference(`ghcr.io/org/tool@sha256:${HEX}`), 'arm64', 'IMMUTABLE', undefined).tag).toBe(`sha256-${HEX}-arm64`);
  });

  it('cuts a long source tag so that the architecture still fits the 128 characters of a tag', () => {
    const long = parseImageReference(`quay.io/a/b:${'v'.repeat(128)}`);
    const { tag } = mirrorTargetTag(long, 'x86_64', 'IMMUTABLE', undefined);
    expect(tag).toBe(`${'v'.repeat(122)}-amd64`);
    expect(tag).toHaveLength(128);
  });

  it('always gives a tag the reference grammar accepts', () => {
    const sources = ['quay.io/a/b:1.0', `quay.io/a/b:${'x'.repeat(128)}`, `quay.io/a/b@sha256:${HEX}`, 'quay.io/a/b:v1.2_rc-3'];
    for (const source of sources) {
      for (const architecture of ['x86_64', 'arm64'] as const) {
        for (const mutability of ['MUTABLE', 'IMMUTABLE'] as const) {
          for (const digest of [AMD64, undefined]) {
            const { tag } = mirrorTargetTag(parseImageReference(source), architecture, mutability, digest);
            expect(tryParseImageReference(`${ECR}/repo:${tag}`).ok, `${source} ${architecture} ${mutability} ${digest}`).toBe(true);
          }
        }
      }
    }
  });
});

describe('Function: withTargetTag', () => {
  const copy = plan({ SourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0', Architecture: 'arm64' }) as CopyPlan;

  it('MUTABLE keeps the target image of the plan and records the source tag', () => {
    expect(withTargetTag(copy, 'MUTABLE', ARM64)).toEqual({ ...copy, targetTagKind: 'source-tag' });
  });

  it('IMMUTABLE retags only: same source, architecture and repository', () => {
    const pinned = withTargetTag(copy, 'IMMUTABLE', ARM64);
    expect(pinned).toEqual({ ...copy, targetImage: `${copy.repositoryUri}:sha256-${'b'.repeat(64)}`, targetTagKind: 'platform-digest' });
    expect(sameEffectivePlan(pinned, copy)).toBe(true);
    expect(withTargetTag(copy, 'IMMUTABLE', undefined)).toMatchObject({ targetImage: `${copy.repositoryUri}:6.2.0-arm64`, targetTagKind: 'source-tag-arch' });
  });
});

describe('Function: planMirror (Platforms: all)', () => {
  const INDEX = `sha256:${'f'.repeat(64)}`;

  it('plans a whole-image copy: same repository as one platform, its own tag, no architecture', () => {
    const whole = plan({ SourceImage: 'quay.io/sysdig/workload-agent:6.2.0', Platforms: 'all' });
    expect(whole).toEqual({
      kind: 'copy',
      sourceImage: 'quay.io/sysdig/workload-agent:6.2.0',
      platform: 'all',
      repositoryName: 'sysdig-image-fix/quay.io/sysdig/workload-agent',
      repositoryUri: `${ECR}/sysdig-image-fix/quay.io/sysdig/workload-agent`,
      targetImage: `${ECR}/sysdig-image-fix/quay.io/sysdig/workload-agent:6.2.0-all`,
    });
    expect('architecture' in whole).toBe(false);
    // The Lambda site's mirror of the same image (issue 16): same repository, another tag, in either mutability.
    const one = plan({ SourceImage: 'quay.io/sysdig/workload-agent:6.2.0' }) as CopyPlan;
    expect(one.repositoryName).toBe((whole as CopyPlan).repositoryName);
    for (const mutability of ['MUTABLE', 'IMMUTABLE'] as const) {
      for (const [a, b] of [
        [AMD64, `sha256:${HEX}`],
        [undefined, undefined],
      ] as const) {
        expect(withTargetTag(one, mutability, a).targetImage).not.toBe(withTargetTag(whole as CopyPlan, mutability, b).targetImage);
      }
    }
  });

  it('keeps an in-region ECR source with Platform all', () => {
    expect(plan({ SourceImage: `${ECR}/agents/agent:1`, Platforms: 'all' })).toEqual({
      kind: 'keep',
      sourceImage: `${ECR}/agents/agent:1`,
      sourceLiteral: `${ECR}/agents/agent:1`,
      platform: 'all',
    });
  });

  it('answers ImageUri <repositoryUri>@<index digest> and Platform all', () => {
    const whole = plan({ SourceImage: 'quay.io/sysdig/workload-agent:6.2.0', Platforms: 'all' }) as CopyPlan;
    const uri = `${whole.repositoryUri}@${INDEX}`;
    expect(attributesFor(whole, uri)).toEqual({
      ImageUri: uri,
      ImageDigest: INDEX,
      RepositoryUri: whole.repositoryUri,
      RepositoryName: whole.repositoryName,
      SourceImage: 'quay.io/sysdig/workload-agent:6.2.0',
      Platform: 'all',
    });
    expect(attributesFromPhysicalId(whole, uri)).toEqual(attributesFor(whole, uri));
  });

  it('a change between one platform and all platforms is a change of the image (a new physical resource)', () => {
    const source = 'quay.io/sysdig/workload-agent:6.2.0';
    const whole = plan({ SourceImage: source, Platforms: 'all' });
    expect(sameEffectivePlan(whole, plan({ SourceImage: source, Platforms: 'all' }))).toBe(true);
    expect(sameEffectivePlan(whole, plan({ SourceImage: source }))).toBe(false);
    expect(sameEffectivePlan(plan({ SourceImage: source, Architecture: 'arm64' }), whole)).toBe(false);
    expect(sameEffectivePlan(plan({ SourceImage: `${ECR}/a:1`, Platforms: 'all' }), plan({ SourceImage: `${ECR}/a:1` }))).toBe(false);
  });

  it('target tag: MUTABLE the source tag; IMMUTABLE sha256-<index hex>, or <source tag>-all when unresolved', () => {
    const whole = plan({ SourceImage: 'quay.io/sysdig/workload-agent:6.2.0', Platforms: 'all' }) as CopyPlan;
    expect(withTargetTag(whole, 'MUTABLE', INDEX)).toEqual({ ...whole, targetTagKind: 'source-tag' });
    expect(withTargetTag(whole, 'IMMUTABLE', INDEX)).toEqual({ ...whole, targetImage: `${whole.repositoryUri}:sha256-${'f'.repeat(64)}`, targetTagKind: 'image-digest' });
    expect(withTargetTag(whole, 'IMMUTABLE', undefined)).toEqual({ ...whole, targetImage: `${whole.repositoryUri}:6.2.0-all`, targetTagKind: 'source-tag-all' });
    const long = mirrorTargetTag(parseImageReference(`quay.io/a/b:${'v'.repeat(128)}`), 'all', 'IMMUTABLE', undefined);
    expect(long).toEqual({ tag: `${'v'.repeat(124)}-all`, kind: 'source-tag-all' });
  });
});
