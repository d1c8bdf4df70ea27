import { describe, expect, it } from 'vitest';
import { classifyEvent } from '../../../../src/mirror/cfn/events.js';

const URL_ = 'https://cfn-response.s3.amazonaws.com/r?X-Amz-Signature=s';

const create = {
  RequestType: 'Create',
  ResponseURL: URL_,
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1',
  RequestId: 'req-1',
  LogicalResourceId: 'ImageMirror1a2b3c4d',
  ResourceType: 'Custom::ImageMirror',
  ResourceProperties: { SourceImage: 'quay.io/a/b:1' },
};

const continuation = {
  version: 2,
  request: create,
  buildId: 'sysdig-image-fix-copy:7c1d7a4e-0000-4000-8000-000000000000',
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
    expect(event).toMatchObject({
      kind: 'invalid',
      requestType: 'Update',
      problem: 'Invalid CloudFormation request: the Update request has no PhysicalResourceId, OldResourceProperties',
    });
  });

  it('accepts a well-formed continuation (request and build id, and a count of failed reads)', () => {
    expect(classifyEvent({ sysdigImageFixContinuation: continuation })).toEqual({ kind: 'continuation', continuation });
    const failing = { ...continuation, pollFailures: 3 };
    expect(classifyEvent({ sysdigImageFixContinuation: failing })).toEqual({ kind: 'continuation', continuation: failing });
  });

  it.each([
    ['another version', { ...continuation, version: 1 }, 'continuation version 1 is not 2'],
    ['a Delete request', { ...continuation, request: { ...create, RequestType: 'Delete', PhysicalResourceId: 'p' } }, 'a Delete request has no build to wait for'],
    ['a build id with a space', { ...continuation, buildId: 'p:1 ; x' }, 'buildId is not a CodeBuild build id'],
    ['a build id without a project', { ...continuation, buildId: '7c1d7a4e' }, 'buildId is not a CodeBuild build id'],
    ['a negative failure count', { ...continuation, pollFailures: -1 }, 'pollFailures is not a count'],
    ['an oversized request id', { ...continuation, request: { ...create, RequestId: 'r'.repeat(300) } }, 'continuation request RequestId is too long'],
  ])("never answers a continuation with %s: its ResponseURL may be anyone's", (_label, damaged, problem) => {
    expect(classifyEvent({ sysdigImageFixContinuation: damaged })).toEqual({ kind: 'unanswerable', problem: `ignored continuation event: ${problem}` });
  });

  it('cannot answer a request whose echoed fields no CloudFormation request has', () => {
    expect(classifyEvent({ ...create, StackId: `arn:${'x'.repeat(5000)}` })).toEqual({
      kind: 'unanswerable',
      problem: "the event StackId is longer than any CloudFormation request's",
    });
  });

  it('cannot answer a continuation without a request URL', () => {
    expect(classifyEvent({ sysdigImageFixContinuation: { ...continuation, request: { ...create, ResponseURL: 42 } } }).kind).toBe('unanswerable');
    expect(classifyEvent({ sysdigImageFixContinuation: 'x' }).kind).toBe('unanswerable');
  });

  it('accepts a copy continuation (the request, and counts), and refuses one that names a build too or carries no counts', () => {
    const copy = { version: 2, request: create, copy: { stalled: 1, readFailures: 0 } };
    expect(classifyEvent({ sysdigImageFixContinuation: copy })).toEqual({ kind: 'continuation', continuation: copy });
    expect(classifyEvent({ sysdigImageFixContinuation: { ...copy, copy: {} } }).kind).toBe('continuation');
    for (const [bad, problem] of [
      [{ ...copy, buildId: continuation.buildId }, 'a continuation names a build or a copy, not both'],
      [{ ...copy, copy: 'yes' }, 'copy is not an object'],
      [{ ...copy, copy: { stalled: -1 } }, 'copy.stalled and copy.readFailures must be counts'],
      [{ ...copy, copy: { readFailures: 1.5 } }, 'copy.stalled and copy.readFailures must be counts'],
    ] as const) {
      expect(classifyEvent({ sysdigImageFixContinuation: bad })).toEqual({ kind: 'unanswerable', problem: `ignored continuation event: ${problem}` });
    }
  });
});

describe('Function: classifyEvent (what is answered, and what is only logged)', () => {
  const httpsUrlOf = (length: number): string => `https://h.example/${'p'.repeat(length - 'https://h.example/'.length)}`;

  it('says why an event cannot be answered at all', () => {
    expect(classifyEvent(null)).toEqual({ kind: 'unanswerable', problem: 'the event is null, not an object' });
    expect(classifyEvent(['x'])).toEqual({ kind: 'unanswerable', problem: 'the event is a list, not an object' });
    const { ResponseURL: _, ...withoutUrl } = create;
    expect(classifyEvent(withoutUrl)).toEqual({ kind: 'unanswerable', problem: 'the event has no ResponseURL' });
    for (const url of ['ftp://h.example/x', 'not a url', '', 42, null]) {
      expect(classifyEvent({ ...create, ResponseURL: url })).toEqual({ kind: 'unanswerable', problem: 'the event ResponseURL is not an http(s) URL' });
    }
  });

  it('refuses a ResponseURL that is not a string even when it reads as a URL (a list of one URL)', () => {
    expect(classifyEvent({ ...create, ResponseURL: [URL_] })).toEqual({ kind: 'unanswerable', problem: 'the event ResponseURL is not an http(s) URL' });
  });

  it('answers a ResponseURL of up to 8192 characters and no longer', () => {
    expect(classifyEvent({ ...create, ResponseURL: httpsUrlOf(8192) }).kind).toBe('create-or-update');
    expect(classifyEvent({ ...create, ResponseURL: httpsUrlOf(8193) })).toEqual({ kind: 'unanswerable', problem: 'the event ResponseURL is not an http(s) URL' });
  });

  it('echoes fields up to their CloudFormation maximum and no longer', () => {
    expect(classifyEvent({ ...create, RequestId: 'r'.repeat(256), LogicalResourceId: 'L'.repeat(255) }).kind).toBe('create-or-update');
    expect(classifyEvent({ ...create, RequestId: 'r'.repeat(257) })).toEqual({
      kind: 'unanswerable',
      problem: "the event RequestId is longer than any CloudFormation request's",
    });
  });

  it('answers a request with an empty echoed field as invalid, naming the field', () => {
    expect(classifyEvent({ ...create, StackId: '', LogicalResourceId: 7 })).toEqual({
      kind: 'invalid',
      target: { ResponseURL: URL_, StackId: '', RequestId: 'req-1', LogicalResourceId: '' },
      requestType: 'Create',
      physicalResourceId: undefined,
      problem: 'Invalid CloudFormation request: the Create request has no StackId, LogicalResourceId',
    });
  });

  it('names a missing or unknown RequestType, quoting at most 40 characters of it', () => {
    const { RequestType: _, ...untyped } = create;
    expect(classifyEvent(untyped)).toMatchObject({
      kind: 'invalid',
      requestType: undefined,
      problem: 'Invalid CloudFormation request: RequestType is missing; expected Create, Update or Delete',
    });
    expect(classifyEvent({ ...create, RequestType: 42, PhysicalResourceId: 'p' })).toMatchObject({ kind: 'invalid', requestType: undefined, physicalResourceId: 'p' });
    expect(classifyEvent({ ...create, RequestType: `Remove${'x'.repeat(100)}` })).toMatchObject({
      kind: 'invalid',
      requestType: `Remove${'x'.repeat(100)}`,
      problem: `Invalid CloudFormation request: RequestType "Remove${'x'.repeat(34)}"; expected Create, Update or Delete`,
    });
  });

  it('answers a Delete without ResourceProperties, and one with an empty or non-string PhysicalResourceId as invalid with no physical id', () => {
    const { ResourceProperties: _, ...bare } = create;
    const del = { ...bare, RequestType: 'Delete', PhysicalResourceId: 'p' };
    expect(classifyEvent(del)).toEqual({ kind: 'delete', request: del });
    for (const physicalId of ['', 42]) {
      expect(classifyEvent({ ...del, PhysicalResourceId: physicalId })).toMatchObject({
        kind: 'invalid',
        requestType: 'Delete',
        physicalResourceId: undefined,
        problem: 'Invalid CloudFormation request: the Delete request has no PhysicalResourceId',
      });
    }
    expect(classifyEvent({ ...create, ResourceProperties: [] })).toMatchObject({
      kind: 'invalid',
      problem: 'Invalid CloudFormation request: the Create request has no ResourceProperties',
    });
  });

  it('ignores a continuation without a request, or that is not an object, saying so', () => {
    for (const damaged of ['x', { version: 2, buildId: continuation.buildId }, { ...continuation, request: 'r' }]) {
      expect(classifyEvent({ sysdigImageFixContinuation: damaged })).toEqual({ kind: 'unanswerable', problem: 'continuation event without a request' });
    }
  });

  it.each([
    ['text before the project name', ` ;${continuation.buildId}`],
    ['text after the build uuid', `${continuation.buildId} ; x`],
    ['a list of one build id', [continuation.buildId]],
  ])('ignores a continuation whose build id has %s', (_label, buildId) => {
    expect(classifyEvent({ sysdigImageFixContinuation: { ...continuation, buildId } })).toEqual({
      kind: 'unanswerable',
      problem: 'ignored continuation event: buildId is not a CodeBuild build id',
    });
  });
});
