import { describe, expect, it } from 'vitest';
import { classifyEvent } from '../../../src/mirror/events.js';

const URL_ = 'https://cfn-response.s3.amazonaws.com/r?X-Amz-Signature=s';
const ECR = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

const create = {
  RequestType: 'Create',
  ResponseURL: URL_,
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1',
  RequestId: 'req-1',
  LogicalResourceId: 'ImageMirror1a2b3c4d',
  ResourceType: 'Custom::ImageMirror',
  ResourceProperties: { SourceImage: 'quay.io/a/b:1' },
};

const state = {
  version: 1,
  request: create,
  buildId: 'sysdig-image-fix-copy:7c1d7a4e-0000-4000-8000-000000000000',
  deadline: 1_735_693_200_000,
  expectedDigest: `sha256:${'a'.repeat(64)}`,
  plan: {
    kind: 'copy',
    sourceImage: 'quay.io/a/b:1',
    architecture: 'x86_64',
    platform: 'linux/amd64',
    repositoryName: 'sysdig-image-fix/quay.io/a/b',
    repositoryUri: `${ECR}/sysdig-image-fix/quay.io/a/b`,
    targetImage: `${ECR}/sysdig-image-fix/quay.io/a/b:1`,
  },
};

describe('Function: classifyEvent', () => {
  it('recognises Create/Update and Delete requests', () => {
    expect(classifyEvent(create)).toEqual({ kind: 'create-or-update', request: create });
    const del = { ...create, RequestType: 'Delete', PhysicalResourceId: 'p' };
    expect(classifyEvent(del)).toEqual({ kind: 'delete', request: del });
    const update = { ...create, RequestType: 'Update', PhysicalResourceId: 'p', OldResourceProperties: {} };
    expect(classifyEvent(update).kind).toBe('create-or-update');
  });

  it('names what an Update lacks', () => {
    const event = classifyEvent({ ...create, RequestType: 'Update' });
    expect(event).toMatchObject({ kind: 'invalid', requestType: 'Update', problem: 'Invalid CloudFormation request: the Update request has no PhysicalResourceId, OldResourceProperties' });
  });

  it('accepts a well-formed continuation, with or without the target tag kind (older states have none)', () => {
    expect(classifyEvent({ sysdigImageFixContinuation: state })).toEqual({ kind: 'continuation', state });
    const immutable = { ...state, plan: { ...state.plan, targetImage: `${state.plan.repositoryUri}:1-amd64`, targetTagKind: 'source-tag-arch' } };
    expect(classifyEvent({ sysdigImageFixContinuation: immutable })).toEqual({ kind: 'continuation', state: immutable });
  });

  it.each([
    ['another version', { ...state, version: 2 }, 'continuation version 2 is not 1'],
    ['a Delete request', { ...state, request: { ...create, RequestType: 'Delete', PhysicalResourceId: 'p' } }, 'a Delete request has no build to wait for'],
    ['a build id with a space', { ...state, buildId: 'p:1 ; x' }, 'buildId is invalid'],
    ['a deadline that is not a number', { ...state, deadline: '2025' }, 'deadline is not a number'],
    ['a malformed expected digest', { ...state, expectedDigest: 'sha256:zz' }, 'expectedDigest is not a sha256 digest'],
    ['a keep plan', { ...state, plan: { ...state.plan, kind: 'keep' } }, 'plan is not a copy plan'],
    ['a platform that does not match', { ...state, plan: { ...state.plan, platform: 'linux/arm64' } }, 'plan.platform does not match plan.architecture'],
    ['a target outside the repository', { ...state, plan: { ...state.plan, targetImage: `${ECR}/other:1` } }, 'plan.targetImage is invalid'],
    ['a hostile target', { ...state, plan: { ...state.plan, targetImage: `${ECR}/sysdig-image-fix/quay.io/a/b:1;id` } }, 'plan.targetImage is invalid'],
    ['an unknown target tag kind', { ...state, plan: { ...state.plan, targetTagKind: 'whatever' } }, 'plan.targetTagKind is invalid'],
  ])('answers FAILED for a continuation with %s', (_label, damaged, problem) => {
    expect(classifyEvent({ sysdigImageFixContinuation: damaged })).toMatchObject({
      kind: 'invalid',
      target: { ResponseURL: URL_, RequestId: 'req-1' },
      problem: `Invalid continuation event: ${problem}`,
    });
  });

  it('cannot answer a continuation without a request URL', () => {
    expect(classifyEvent({ sysdigImageFixContinuation: { ...state, request: { ...create, ResponseURL: 42 } } }).kind).toBe('unanswerable');
    expect(classifyEvent({ sysdigImageFixContinuation: 'x' }).kind).toBe('unanswerable');
  });
});
