import { describe, expect, it } from 'vitest';
import { deleteAnswer, failureAnswer, invalidEventAnswer } from '../../../../src/mirror/cfn/answers.js';
import { classifyEvent, type DeleteRequest, type InvalidEvent } from '../../../../src/mirror/cfn/events.js';
import { placeholderPhysicalId } from '../../../../src/mirror/cfn/response.js';
import { MirrorError, RegistryCredentialsError } from '../../../../src/mirror/core/errors.js';
import { UnmappableImageError } from '../../../../src/reference/index.js';

const URL_ = 'https://cfn-response.s3.amazonaws.com/r?X-Amz-Signature=s';
const request = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:mirror',
  ResponseURL: URL_,
  StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/app/1',
  RequestId: 'req-1',
  LogicalResourceId: 'ImageMirror1a2b3c4d',
  ResourceType: 'Custom::ImageMirror',
  ResourceProperties: { ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:mirror', SourceImage: 'quay.io/a/b:1' },
};
const PLACEHOLDER = placeholderPhysicalId('req-1');
const SECRET = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:quay-AbCdEf';

function invalidEvent(event: Record<string, unknown>): InvalidEvent {
  const classified = classifyEvent(event);
  if (classified.kind !== 'invalid') throw new Error(`expected an invalid event, got ${classified.kind}`);
  return classified;
}

/** An error wrapped `depth` times (each wrapper's cause is the next one in). */
function wrapped(inner: Error, depth: number): Error {
  let error = inner;
  for (let i = 0; i < depth; i++) error = new Error(`layer ${i}`, { cause: error });
  return error;
}

describe('Function: failureAnswer', () => {
  it('gives a failed Create the placeholder physical id, even when a forged Create names one', () => {
    expect(failureAnswer({ RequestType: 'Create', RequestId: 'req-1' }, new MirrorError('m')).physicalResourceId).toBe(PLACEHOLDER);
    expect(failureAnswer({ RequestType: 'Create', RequestId: 'req-1', PhysicalResourceId: 'someone-elses' }, new MirrorError('m')).physicalResourceId).toBe(PLACEHOLDER);
  });

  it('keeps the physical id of a failed Update, and uses the placeholder when it is not a string', () => {
    expect(failureAnswer({ RequestType: 'Update', RequestId: 'req-1', PhysicalResourceId: 'image-uri' }, new MirrorError('m'))).toEqual({
      status: 'FAILED',
      physicalResourceId: 'image-uri',
      reason: 'm',
    });
    expect(failureAnswer({ RequestType: 'Update', RequestId: 'req-1', PhysicalResourceId: 42 }, new MirrorError('m')).physicalResourceId).toBe(PLACEHOLDER);
  });

  it('says what typed errors say, and calls anything else an unexpected error pointing to the logs', () => {
    const reason = (error: unknown): unknown => failureAnswer({ RequestType: 'Create', RequestId: 'req-1' }, error).reason;
    expect(reason(new MirrorError('The image q is gone'))).toBe('The image q is gone');
    expect(reason(new UnmappableImageError('q', 'no tag'))).toBe('cannot mirror "q": no tag');
    expect(reason(new TypeError('x is undefined'))).toBe("Unexpected error in the mirror function: TypeError: x is undefined. See the function's CloudWatch logs");
    expect(reason(new Error('boom'))).toBe("Unexpected error in the mirror function: boom. See the function's CloudWatch logs");
  });

  it('names the registry credentials secret when that is the cause, however the error was wrapped (up to 8 layers)', () => {
    const credentials = new RegistryCredentialsError(SECRET, 'is not valid JSON');
    const reason = (error: unknown): unknown => failureAnswer({ RequestType: 'Create', RequestId: 'req-1' }, error).reason;
    expect(reason(new MirrorError('Copy failed', { cause: credentials }))).toBe(`Registry credentials secret ${SECRET} is not valid JSON`);
    expect(reason(wrapped(credentials, 7))).toBe(`Registry credentials secret ${SECRET} is not valid JSON`);
    expect(reason(wrapped(credentials, 8))).toBe("Unexpected error in the mirror function: layer 7. See the function's CloudWatch logs");
  });
});

describe('Function: deleteAnswer', () => {
  const del = (physicalId: string): DeleteRequest => ({ ...request, RequestType: 'Delete', PhysicalResourceId: physicalId }) as DeleteRequest;

  it('succeeds, keeping the image, or saying nothing was created for a failed Create', () => {
    expect(deleteAnswer(del('image-uri'))).toEqual({ status: 'SUCCESS', physicalResourceId: 'image-uri', reason: 'Image kept in ECR: functions may still run it' });
    expect(deleteAnswer(del(PLACEHOLDER))).toEqual({ status: 'SUCCESS', physicalResourceId: PLACEHOLDER, reason: 'Nothing to delete: the resource was never created' });
  });
});

describe('Function: invalidEventAnswer', () => {
  it('answers a malformed Delete SUCCESS, naming the problem, with the placeholder when it has no usable physical id', () => {
    expect(invalidEventAnswer(invalidEvent({ ...request, RequestType: 'Delete', PhysicalResourceId: 'image-uri', StackId: '' }))).toEqual({
      status: 'SUCCESS',
      physicalResourceId: 'image-uri',
      reason: 'Nothing deleted (Invalid CloudFormation request: the Delete request has no StackId)',
    });
    for (const physicalId of ['', 42, undefined]) {
      expect(invalidEventAnswer(invalidEvent({ ...request, RequestType: 'Delete', PhysicalResourceId: physicalId }))).toEqual({
        status: 'SUCCESS',
        physicalResourceId: PLACEHOLDER,
        reason: 'Nothing deleted (Invalid CloudFormation request: the Delete request has no PhysicalResourceId)',
      });
    }
  });

  it('answers other malformed requests FAILED with the problem as Reason', () => {
    expect(invalidEventAnswer(invalidEvent({ ...request, RequestType: 'Update', PhysicalResourceId: 'image-uri' }))).toEqual({
      status: 'FAILED',
      physicalResourceId: 'image-uri',
      reason: 'Invalid CloudFormation request: the Update request has no OldResourceProperties',
    });
    expect(invalidEventAnswer(invalidEvent({ ...request, RequestType: 'Create', PhysicalResourceId: 'forged', ResourceProperties: null }))).toEqual({
      status: 'FAILED',
      physicalResourceId: PLACEHOLDER,
      reason: 'Invalid CloudFormation request: the Create request has no ResourceProperties',
    });
  });
});
