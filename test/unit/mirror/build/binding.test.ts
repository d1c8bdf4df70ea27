// The binding between a build and the request that started it: a build vouches for a continuation only when
// it is this project's, carries the SHA-256 of exactly that request, and copies what the request's own
// properties plan into this account's and region's ECR.
import { describe, expect, it } from 'vitest';
import { BINDING_VARIABLE, bindingVariable, requestDigest, waitStateFromBuild } from '../../../../src/mirror/build/binding.js';
import type { WaitState } from '../../../../src/mirror/build/binding.js';
import type { BuildReport } from '../../../../src/mirror/ports/types.js';
import type { CreateOrUpdateRequest } from '../../../../src/mirror/cfn/events.js';
import {
  BINDING_DIGEST as DIGEST,
  BINDING_ECR as ECR,
  BINDING_REPOSITORY as REPOSITORY,
  bindingConfig as config,
  bindingRequest as request,
} from '../fixtures/binding-request.js';

const state: WaitState = {
  request,
  buildId: 'copy:1',
  deadline: 1_735_693_200_000,
  expectedDigest: DIGEST,
  plan: {
    kind: 'copy',
    sourceImage: 'quay.io/a/b:1',
    architecture: 'x86_64',
    platform: 'linux/amd64',
    repositoryName: 'sysdig-image-fix/quay.io/a/b',
    repositoryUri: REPOSITORY,
    targetImage: `${REPOSITORY}:1`,
    targetTagKind: 'source-tag',
  },
};

function build(environment: Record<string, string> = {}, changes: Partial<BuildReport> = {}): BuildReport {
  return {
    id: 'copy:1',
    projectName: 'copy',
    environment: {
      SOURCE_IMAGE: `quay.io/a/b@${DIGEST}`,
      TARGET_IMAGE: `${REPOSITORY}:1`,
      ARCHITECTURE: 'x86_64',
      [BINDING_VARIABLE]: bindingVariable(state).value,
      ...environment,
    },
    status: 'IN_PROGRESS',
    phases: [],
    exportedVariables: {},
    logGroupName: undefined,
    logStreamName: undefined,
    ...changes,
  };
}

describe('Function: waitStateFromBuild', () => {
  it('gives back the wait state the build was started with', () => {
    expect(waitStateFromBuild(request, build(), config)).toEqual({ state });
  });

  it('digests the request whatever the key order, and differently for any change', () => {
    const reordered = Object.fromEntries(Object.entries(request).reverse()) as unknown as CreateOrUpdateRequest;
    expect(requestDigest(reordered)).toBe(requestDigest(request));
    expect(requestDigest({ ...request, ResponseURL: `${request.ResponseURL}x` })).not.toBe(requestDigest(request));
  });

  it.each([
    ['another project', build({}, { projectName: 'other' }), "is not a build of this function's project copy"],
    ['an id of another project', build({}, { id: 'other:1' }), "is not a build of this function's project copy"],
    ['no binding', build({ [BINDING_VARIABLE]: '' }), 'carries no binding of the mirror function'],
    ['a binding that is not JSON', build({ [BINDING_VARIABLE]: '{' }), 'carries no binding'],
    ['another request', build({ [BINDING_VARIABLE]: bindingVariable({ ...state, request: { ...request, RequestId: 'req-2' } }).value }), 'was started for another request'],
    ['another source', build({ SOURCE_IMAGE: `quay.io/evil/b@${DIGEST}` }), 'copies another source'],
    ['another digest', build({ SOURCE_IMAGE: `quay.io/a/b@sha256:${'b'.repeat(64)}` }), 'is not pinned to the digest its binding names'],
    ['another target repository', build({ TARGET_IMAGE: '999999999999.dkr.ecr.us-east-1.amazonaws.com/evil:1' }), 'pushes elsewhere'],
    ['another architecture', build({ ARCHITECTURE: 'arm64' }), 'copies another architecture'],
  ])('refuses a build with %s', (_label, report, problem) => {
    const result = waitStateFromBuild(request, report, config);
    expect(result).toEqual({ problem: expect.stringContaining(problem) });
  });

  it('refuses a request whose properties plan no copy (an in-region source)', () => {
    const kept = { ...request, ResourceProperties: { ...request.ResourceProperties, SourceImage: `${ECR}/apps/x:1` } } as CreateOrUpdateRequest;
    const binding = bindingVariable({ ...state, request: kept }).value;
    expect(waitStateFromBuild(kept, build({ [BINDING_VARIABLE]: binding }), config)).toEqual({ problem: 'the request needs no copy' });
  });
});

describe('Function: waitStateFromBuild (a renamed Update)', () => {
  // An Update whose RepositoryName is not its source's copies to the source's own repository (core/naming.ts); the
  // continuation re-plans the same way from the request, so the build into that repository vouches for it.
  const update = {
    ...request,
    RequestType: 'Update',
    PhysicalResourceId: `${REPOSITORY}@${DIGEST}`,
    ResourceProperties: { ...request.ResourceProperties, RepositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher' },
    OldResourceProperties: request.ResourceProperties,
  } as CreateOrUpdateRequest;
  const renamed: WaitState = {
    ...state,
    request: update,
    plan: {
      ...state.plan,
      renamed: {
        property: 'RepositoryName',
        given: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher',
        stackPrefix: 'sysdig-image-fix',
        expected: 'sysdig-image-fix/quay.io/a/b',
      },
    },
  };

  it('gives back the wait state of the build into the expected repository', () => {
    expect(waitStateFromBuild(update, build({ [BINDING_VARIABLE]: bindingVariable(renamed).value }), config)).toEqual({ state: renamed });
  });

  it('refuses a build into the repository the request named', () => {
    const named = `${ECR}/sysdig-image-fix/quay.io/sysdig/serverless-patcher`;
    const report = build({ [BINDING_VARIABLE]: bindingVariable(renamed).value, TARGET_IMAGE: `${named}:1` });
    expect(waitStateFromBuild(update, report, config)).toEqual({ problem: `build copy:1 pushes elsewhere than ${REPOSITORY}` });
  });
});

describe('Function: waitStateFromBuild (Platforms: all)', () => {
  const INDEX = `sha256:${'c'.repeat(64)}`;
  const allRequest = {
    ...request,
    RequestId: 'req-all',
    ResourceProperties: { ServiceToken: request.ServiceToken, SourceImage: 'quay.io/a/b:1', Platforms: 'all' },
  } as CreateOrUpdateRequest;
  const allState: WaitState = {
    request: allRequest,
    buildId: 'copy:2',
    deadline: state.deadline,
    expectedDigest: INDEX,
    plan: {
      kind: 'copy',
      sourceImage: 'quay.io/a/b:1',
      platform: 'all',
      repositoryName: 'sysdig-image-fix/quay.io/a/b',
      repositoryUri: REPOSITORY,
      targetImage: `${REPOSITORY}:1`,
      targetTagKind: 'source-tag',
    },
  };
  const allBuild = (environment: Record<string, string> = {}) =>
    build({ SOURCE_IMAGE: `quay.io/a/b@${INDEX}`, ARCHITECTURE: 'all', [BINDING_VARIABLE]: bindingVariable(allState).value, ...environment }, { id: 'copy:2' });

  it('the binding says all platforms (and one-platform bindings stay as they were)', () => {
    expect(JSON.parse(bindingVariable(allState).value)).toMatchObject({ platforms: 'all', expectedDigest: INDEX });
    expect(JSON.parse(bindingVariable(state).value)).not.toHaveProperty('platforms');
  });

  it('gives back the whole-image wait state the build was started with', () => {
    expect(waitStateFromBuild(allRequest, allBuild(), config)).toEqual({ state: allState });
  });

  it.each([
    ['told to copy one architecture', { ARCHITECTURE: 'x86_64' }],
    ['told to copy another value', { ARCHITECTURE: 'arm64' }],
    ['whose binding says one platform', { [BINDING_VARIABLE]: JSON.stringify({ ...JSON.parse(bindingVariable(allState).value), platforms: undefined }) }],
    ['whose binding names another platforms value', { [BINDING_VARIABLE]: JSON.stringify({ ...JSON.parse(bindingVariable(allState).value), platforms: 'some' }) }],
  ])('refuses a build for a Platforms: all request %s', (_label, environment) => {
    expect(waitStateFromBuild(allRequest, allBuild(environment), config)).toEqual({ problem: expect.stringMatching(/copies another architecture|carries no binding/) });
  });

  it('refuses a whole-image build for a one-platform request, even with ARCHITECTURE forged back', () => {
    const forged = { ...allState, request };
    const report = build({ [BINDING_VARIABLE]: bindingVariable(forged).value, SOURCE_IMAGE: `quay.io/a/b@${INDEX}`, ARCHITECTURE: 'x86_64' });
    expect(waitStateFromBuild(request, report, config)).toEqual({ problem: 'build copy:1 copies another architecture than x86_64' });
    expect(waitStateFromBuild(request, build({ ARCHITECTURE: 'all' }), config)).toEqual({ problem: 'build copy:1 copies another architecture than x86_64' });
  });
});

describe('Function: waitStateFromBuild (what the build and the request must agree on)', () => {
  it('refuses a request whose properties cannot be read, saying what is wrong with them', () => {
    const broken = { ...request, ResourceProperties: { ServiceToken: request.ResourceProperties.ServiceToken } } as CreateOrUpdateRequest;
    const binding = bindingVariable({ ...state, request: broken }).value;
    expect(waitStateFromBuild(broken, build({ [BINDING_VARIABLE]: binding }), config)).toEqual({
      problem: expect.stringMatching(/^the request's properties do not plan a copy \(.*SourceImage.*\)$/),
    });
  });

  it('trusts the build of a source pinned by digest that the function could not resolve (the binding names no digest)', () => {
    const pinned = { ...request, ResourceProperties: { ...request.ResourceProperties, SourceImage: `quay.io/a/b@${DIGEST}` } } as CreateOrUpdateRequest;
    const { expectedDigest: _unresolved, ...rest } = state;
    const unresolved: WaitState = { ...rest, request: pinned, plan: { ...state.plan, sourceImage: `quay.io/a/b@${DIGEST}` } };
    const result = waitStateFromBuild(pinned, build({ [BINDING_VARIABLE]: bindingVariable(unresolved).value }), config);
    expect(result).toHaveProperty('state');
    expect((result as { state: WaitState }).state.expectedDigest).toBeUndefined();
  });

  it.each([
    ['a digest, no tag', `${REPOSITORY}@${DIGEST}`],
    ['a tag and a digest', `${REPOSITORY}:1@${DIGEST}`],
  ])('refuses a build whose TARGET_IMAGE has %s (the buildspec pushes to a tag)', (_case, target) => {
    expect(waitStateFromBuild(request, build({ TARGET_IMAGE: target }), config)).toEqual({ problem: `build copy:1 pushes elsewhere than ${REPOSITORY}` });
  });
});

describe('Function: bindingVariable', () => {
  it('binds a plan that names no target tag kind as source-tag (the kind a plan without one copies to)', () => {
    const { targetTagKind: _none, ...plan } = state.plan;
    expect(JSON.parse(bindingVariable({ ...state, plan }).value)).toMatchObject({ targetTagKind: 'source-tag' });
  });
});
