import { describe, expect, it } from 'vitest';
import { buildConsoleLink, buildEnvironment, describeBuildFailure, idempotencyToken } from '../../../../src/mirror/build/request.js';
import type { CopyPlan } from '../../../../src/mirror/core/plan.js';
import type { BuildReport } from '../../../../src/mirror/ports/types.js';

const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
const DIGEST = `sha256:${'d'.repeat(64)}`;
const plan: CopyPlan = {
  kind: 'copy',
  sourceImage: 'quay.io/sysdig/serverless-patcher:6.2.0',
  architecture: 'arm64',
  platform: 'linux/arm64',
  repositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher',
  repositoryUri: `${ECR}/sysdig-image-fix/quay.io/sysdig/serverless-patcher`,
  targetImage: `${ECR}/sysdig-image-fix/quay.io/sysdig/serverless-patcher:6.2.0`,
};

describe('Function: buildEnvironment', () => {
  it('pins SOURCE_IMAGE to the resolved digest (no tag) and names the target and architecture', () => {
    expect(buildEnvironment(plan, DIGEST, undefined)).toEqual([
      { name: 'SOURCE_IMAGE', value: `quay.io/sysdig/serverless-patcher@${DIGEST}` },
      { name: 'TARGET_IMAGE', value: plan.targetImage },
      { name: 'ARCHITECTURE', value: 'arm64' },
    ]);
  });

  it('passes the tag when the digest is unknown, and the secret ARN when configured', () => {
    const secret = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:creds-AbCdEf';
    expect(buildEnvironment(plan, undefined, secret)).toEqual([
      { name: 'SOURCE_IMAGE', value: 'quay.io/sysdig/serverless-patcher:6.2.0' },
      { name: 'TARGET_IMAGE', value: plan.targetImage },
      { name: 'ARCHITECTURE', value: 'arm64' },
      { name: 'REGISTRY_CREDENTIALS_SECRET_ARN', value: secret },
    ]);
  });

  it('pins a source written repo:tag@digest by its digest alone, resolved or not (skopeo refuses both)', () => {
    const both = { ...plan, sourceImage: `quay.io/sysdig/serverless-patcher:6.2.0@${DIGEST}` };
    expect(buildEnvironment(both, undefined, undefined)[0]).toEqual({ name: 'SOURCE_IMAGE', value: `quay.io/sysdig/serverless-patcher@${DIGEST}` });
    const child = `sha256:${'e'.repeat(64)}`;
    expect(buildEnvironment(both, child, undefined)[0]).toEqual({ name: 'SOURCE_IMAGE', value: `quay.io/sysdig/serverless-patcher@${child}` });
  });

  it('refuses images that are not valid references (they reach a shell)', () => {
    expect(() => buildEnvironment({ ...plan, targetImage: `${ECR}/x:1; curl evil` }, DIGEST, undefined)).toThrow(/invalid image reference/);
    expect(() => buildEnvironment({ ...plan, sourceImage: 'quay.io/$(id)' }, undefined, undefined)).toThrow(/invalid image reference/);
  });
});

describe('Function: idempotencyToken', () => {
  it('is stable per request id, at most 64 characters, and distinct across requests', () => {
    const requestId = '5c4a3f2e-1d0c-4b9a-8f7e-6d5c4b3a2910';
    expect(idempotencyToken(requestId)).toBe(idempotencyToken(requestId));
    expect(idempotencyToken(requestId).length).toBeLessThanOrEqual(64);
    expect(idempotencyToken('x'.repeat(500)).length).toBeLessThanOrEqual(64);
    expect(idempotencyToken(requestId)).not.toBe(idempotencyToken(`${requestId}0`));
  });
});

describe('Function: buildConsoleLink', () => {
  it('links the CodeBuild console page of the build, id encoded', () => {
    expect(buildConsoleLink({ partition: 'aws', region: 'eu-west-1', accountId: '123456789012' }, 'copy', 'copy:0a1b')).toBe(
      'https://eu-west-1.console.aws.amazon.com/codesuite/codebuild/123456789012/projects/copy/build/copy%3A0a1b/?region=eu-west-1',
    );
    expect(buildConsoleLink({ partition: 'aws-cn', region: 'cn-north-1', accountId: '123456789012' }, 'copy', 'copy:0a1b')).toMatch(
      /^https:\/\/cn-north-1\.console\.amazonaws\.cn\//,
    );
  });
});

describe('Function: describeBuildFailure', () => {
  const build: BuildReport = {
    id: 'copy:0a1b',
    projectName: 'copy',
    environment: {},
    status: 'FAILED',
    phases: [
      { type: 'INSTALL', status: 'SUCCEEDED', messages: [] },
      { type: 'BUILD', status: 'FAILED', messages: ['Error while executing command: skopeo copy. Reason: exit status 1'] },
    ],
    exportedVariables: {},
    logGroupName: 'g',
    logStreamName: 's',
  };

  it('names the build, status, failing phase and its message; log lines as the elastic part; the link last', () => {
    expect(describeBuildFailure(plan, build, ['a', 'b'], 'https://link')).toEqual({
      summary:
        `CodeBuild build copy:0a1b copying quay.io/sysdig/serverless-patcher:6.2.0 (linux/arm64) to ${plan.targetImage} ended FAILED ` +
        'in phase BUILD (FAILED): Error while executing command: skopeo copy. Reason: exit status 1.',
      detailsHeading: 'Last build log lines:',
      details: ['a', 'b'],
      trailer: 'Build details: https://link',
    });
  });

  it('says why there are no log lines', () => {
    expect(describeBuildFailure(plan, { ...build, phases: [] }, { unavailable: 'AccessDeniedException: no' }, 'l')).toMatchObject({
      details: ['Build log unavailable: AccessDeniedException: no'],
    });
    expect(describeBuildFailure(plan, build, [], 'l').details).toEqual(['The build log has no lines.']);
  });

  describe('an IMMUTABLE target tag that is already taken', () => {
    const taken = [`ERROR: the tag ${ECR}/x:6.2.0-arm64 already exists and holds sha256:${'9'.repeat(64)}, not the linux/arm64 image`];
    const ecrWords = ["tag invalid: The image tag '6.2.0-arm64' already exists in the 'x' repository and cannot be overwritten because the repository is immutable."];
    const fallback: CopyPlan = { ...plan, targetImage: `${plan.repositoryUri}:6.2.0-arm64`, targetTagKind: 'source-tag-arch' };

    it.each([
      ['the buildspec', taken],
      ["ECR's own", ecrWords],
    ])('is said plainly, with what to do, in the summary (kept when the log lines are cut) when %s words show it', (_label, lines) => {
      const { summary } = describeBuildFailure(fallback, build, lines, 'l');
      expect(summary).toContain(`The target tag 6.2.0-arm64 already exists in the IMMUTABLE repository ${plan.repositoryName} with other content`);
      expect(summary).toContain(`could not resolve ${plan.sourceImage} to a digest`);
      expect(summary).toContain('pin SourceImage by digest');
    });

    it('adds nothing when only the names of the images read like those words (a tag named ImageTagAlreadyExists)', () => {
      const named: CopyPlan = {
        ...plan,
        sourceImage: 'quay.io/sysdig/serverless-patcher:ImageTagAlreadyExists',
        targetImage: `${plan.repositoryUri}:ImageTagAlreadyExists-arm64`,
        targetTagKind: 'source-tag-arch',
      };
      const refused = [
        `ERROR: copying quay.io/sysdig/serverless-patcher:ImageTagAlreadyExists (linux/arm64) to ${named.targetImage} failed (skopeo error above).`,
        `Error uploading manifest ImageTagAlreadyExists-arm64 to ${plan.repositoryUri}: denied: not authorized to perform: ecr:PutImage`,
      ];
      expect(describeBuildFailure(named, build, refused, 'l').summary).not.toContain('IMMUTABLE repository');
      const taken = ["tag invalid: The image tag 'ImageTagAlreadyExists-arm64' already exists in the 'x' repository and cannot be overwritten"];
      expect(describeBuildFailure(named, build, taken, 'l').summary).toContain('already exists in the IMMUTABLE repository');
    });

    it('adds nothing for other failures, or when the tag did not come from the source tag', () => {
      expect(describeBuildFailure(fallback, build, ['ERROR: copying failed'], 'l').summary).not.toContain('already exists');
      const digestTagged: CopyPlan = { ...plan, targetImage: `${plan.repositoryUri}:sha256-${'d'.repeat(64)}`, targetTagKind: 'platform-digest' };
      expect(describeBuildFailure(digestTagged, build, taken, 'l').summary).not.toContain('IMMUTABLE repository');
      expect(describeBuildFailure(plan, build, taken, 'l').summary).not.toContain('IMMUTABLE repository');
    });
  });
});

describe('Function: buildEnvironment (Platforms: all)', () => {
  const INDEX = `sha256:${'f'.repeat(64)}`;
  const { architecture: _one, platform: _platform, ...target } = plan as Extract<CopyPlan, { architecture: unknown }>;
  const whole: CopyPlan = { ...target, sourceImage: 'quay.io/sysdig/workload-agent:6.2.0', platform: 'all' };

  it('tells the buildspec to copy all platforms, pinned to the index digest', () => {
    expect(buildEnvironment(whole, INDEX, undefined)).toEqual([
      { name: 'SOURCE_IMAGE', value: `quay.io/sysdig/workload-agent@${INDEX}` },
      { name: 'TARGET_IMAGE', value: whole.targetImage },
      { name: 'ARCHITECTURE', value: 'all' },
    ]);
  });

  it('passes the tag when the index digest is unknown (the build resolves it)', () => {
    expect(buildEnvironment(whole, undefined, undefined)[0]).toEqual({ name: 'SOURCE_IMAGE', value: 'quay.io/sysdig/workload-agent:6.2.0' });
  });

  it('a failed whole-image build is reported as copying all platforms', () => {
    const report: BuildReport = {
      id: 'copy:1',
      projectName: 'copy',
      environment: {},
      status: 'FAILED',
      phases: [],
      exportedVariables: {},
      logGroupName: undefined,
      logStreamName: undefined,
    };
    expect(describeBuildFailure(whole, report, [], 'https://console').summary).toBe(
      `CodeBuild build copy:1 copying quay.io/sysdig/workload-agent:6.2.0 (all platforms) to ${whole.targetImage} ended FAILED.`,
    );
  });
});

describe('Function: buildConsoleLink (GovCloud)', () => {
  it("links the GovCloud console's own host", () => {
    expect(buildConsoleLink({ partition: 'aws-us-gov', region: 'us-gov-west-1', accountId: '123456789012' }, 'copy', 'copy:0a1b')).toBe(
      'https://us-gov-west-1.console.amazonaws-us-gov.com/codesuite/codebuild/123456789012/projects/copy/build/copy%3A0a1b/?region=us-gov-west-1',
    );
  });
});

describe('Function: describeBuildFailure (the failing phase and what the user reads)', () => {
  const failed = (phases: BuildReport['phases'], status = 'FAILED'): BuildReport => ({
    id: 'copy:2',
    projectName: 'copy',
    environment: {},
    status,
    phases,
    exportedVariables: {},
    logGroupName: 'g',
    logStreamName: 's',
  });
  const head = `CodeBuild build copy:2 copying ${plan.sourceImage} (linux/arm64) to ${plan.targetImage} ended`;

  it('names the first phase that ended without success, its blank messages left out, the others joined by "; "', () => {
    const build = failed([
      { type: 'INSTALL', status: 'SUCCEEDED', messages: ['installed'] },
      { type: 'BUILD', status: 'FAILED', messages: ['', '   ', 'exit status 1', 'Reason: skopeo copy'] },
      { type: 'POST_BUILD', status: 'FAILED', messages: ['later'] },
    ]);
    expect(describeBuildFailure(plan, build, [], 'l').summary).toBe(`${head} FAILED in phase BUILD (FAILED): exit status 1; Reason: skopeo copy.`);
  });

  it('names a failing phase without messages alone', () => {
    const build = failed([{ type: 'BUILD', status: 'FAILED', messages: [' '] }]);
    expect(describeBuildFailure(plan, build, [], 'l').summary).toBe(`${head} FAILED in phase BUILD (FAILED).`);
  });

  it('does not name a phase CodeBuild still reports without a status (it has not ended)', () => {
    const build = failed(
      [
        { type: 'PROVISIONING', status: 'SUCCEEDED', messages: [] },
        { type: 'BUILD', status: undefined, messages: ['still running'] },
      ],
      'TIMED_OUT',
    );
    expect(describeBuildFailure(plan, build, [], 'l').summary).toBe(`${head} TIMED_OUT.`);
  });

  it('keeps the console link when the log is unavailable', () => {
    expect(describeBuildFailure(plan, failed([]), { unavailable: 'AccessDeniedException: no' }, 'https://link')).toEqual({
      summary: `${head} FAILED.`,
      details: ['Build log unavailable: AccessDeniedException: no'],
      trailer: 'Build details: https://link',
    });
  });

  it('explains a taken IMMUTABLE tag seen only in the phase messages (the log unreadable), with every way out', () => {
    const fallback: CopyPlan = { ...plan, targetImage: `${plan.repositoryUri}:6.2.0-arm64`, targetTagKind: 'source-tag-arch' };
    const build = failed([{ type: 'BUILD', status: 'FAILED', messages: ['ImageTagAlreadyExistsException: tag 6.2.0-arm64'] }]);
    expect(describeBuildFailure(fallback, build, { unavailable: 'AccessDeniedException: no' }, 'l').summary).toBe(
      `CodeBuild build copy:2 copying ${plan.sourceImage} (linux/arm64) to ${fallback.targetImage} ended FAILED in phase BUILD (FAILED): ` +
        'ImageTagAlreadyExistsException: tag 6.2.0-arm64. ' +
        `The target tag 6.2.0-arm64 already exists in the IMMUTABLE repository ${plan.repositoryName} with other content: the mirror function ` +
        `could not resolve ${plan.sourceImage} to a digest, so the tag was derived from the source tag, and that tag has moved upstream ` +
        'since it was first mirrored. To fix it: make the source registry reachable for the mirror function (the tag then names the ' +
        `digest), or pin SourceImage by digest, or delete the tag 6.2.0-arm64 from ${plan.repositoryName}, or set the macro stack's ` +
        'ImageTagMutability to MUTABLE; then retry the deployment.',
    );
  });
});
