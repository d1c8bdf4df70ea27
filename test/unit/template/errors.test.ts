// The words of the transform's errors that no template reaches on purpose: an internal error (a bug, reported as a
// problem instead of thrown) and a logical id longer than CloudFormation allows.
import { describe, expect, it } from 'vitest';
import {
  InternalTransformError,
  InvalidArchitectureError,
  InvalidImageError,
  InvalidOptionError,
  MalformedTemplateError,
  MirrorConflictError,
  MissingExecutionRoleError,
  MissingMirrorFunctionError,
  ownerLabel,
  ParameterMirrorError,
  type TransformError,
  UnmappableSiteError,
} from '../../../src/template/errors.js';
import { transform } from '../../../src/template/transform.js';
import { context, defaults, expectFailure, lambdaFunction, QUAY_IMAGE, template } from './fixtures.js';

describe('transform errors', () => {
  it('an internal error names the resource or the template, and the cause', () => {
    const onResource = new InternalTransformError('F', new TypeError('x is undefined'));
    expect(onResource.toProblem()).toEqual({
      logicalId: 'F',
      message: 'Resource F: internal error in the SysdigImageFix transform (TypeError: x is undefined); please report this with the template',
    });
    expect(onResource.cause).toBeInstanceOf(TypeError);
    // No logicalId key at all for a template-wide problem (not one set to undefined).
    expect(new InternalTransformError(undefined, 'thrown text').toProblem()).toStrictEqual({
      message: 'Template: internal error in the SysdigImageFix transform (thrown text); please report this with the template',
    });
    expect(ownerLabel(undefined)).toBe('Template');
  });

  it('a logical id over 255 characters is shown cut wherever the message names it; one of 255 is shown whole', () => {
    const long = `F${'a'.repeat(299)}`;
    const error = new InvalidImageError(long, '"x"', 'bad');
    expect(error.message).toBe(`Resource ${long.slice(0, 254)}…: image "x" is not a valid image reference: bad`);
    expect(error.logicalId).toBe(long);
    const exact = `F${'a'.repeat(254)}`;
    expect(new InvalidImageError(exact, '"x"', 'bad').message).toBe(`Resource ${exact}: image "x" is not a valid image reference: bad`);
  });

  it('a message is cut at 1,000 characters', () => {
    const error = new MalformedTemplateError('y'.repeat(2_000));
    expect(error.message).toBe(`Template: ${'y'.repeat(989)}…`);
    expect(error.toProblem()).toEqual({ message: error.message });
    expect(error.name).toBe('MalformedTemplateError');
  });

  it('a function Architectures Lambda refuses says how to fix it', () => {
    expect(expectFailure(transform(template({ F: lambdaFunction(QUAY_IMAGE, { architectures: ['ppc'] }) }), context(), defaults()))).toEqual([
      {
        logicalId: 'F',
        message: expect.stringMatching(
          /^Resource F: Architectures \["ppc"\] is not valid: .+\. Use a one-element list, \[x86_64\] or \[arm64\], or set Metadata\.SysdigImageFix\.Architecture on the resource$/,
        ),
      },
    ]);
  });

  it.each<[string, () => TransformError]>([
    ['MalformedTemplateError', () => new MalformedTemplateError('x')],
    ['InvalidImageError', () => new InvalidImageError('F', 'i', 'r')],
    ['UnmappableSiteError', () => new UnmappableSiteError('F', 'i', 'r')],
    ['InvalidArchitectureError', () => new InvalidArchitectureError('F', 'w', 'v', 'r')],
    ['ParameterMirrorError', () => new ParameterMirrorError('P', 'd')],
    ['MissingExecutionRoleError', () => new MissingExecutionRoleError('T', ['i'])],
    ['InvalidOptionError', () => new InvalidOptionError('o', undefined, 'd')],
    ['MirrorConflictError', () => new MirrorConflictError('m', undefined)],
    ['MissingMirrorFunctionError', () => new MissingMirrorFunctionError(['F'])],
    ['InternalTransformError', () => new InternalTransformError(undefined, 'x')],
  ])('%s says its kind where an error is shown (a stack trace, a caller that logs it)', (name, create) => {
    const error = create();
    expect(error.name).toBe(name);
    expect(String(error)).toBe(`${name}: ${error.message}`);
  });
});
