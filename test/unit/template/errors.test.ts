// The words of the transform's errors that no template reaches on purpose: an internal error (a bug, reported as a
// problem instead of thrown) and a logical id longer than CloudFormation allows.
import { describe, expect, it } from 'vitest';
import { InternalTransformError, InvalidImageError, MalformedTemplateError, ownerLabel } from '../../../src/template/errors.js';

describe('transform errors', () => {
  it('an internal error names the resource or the template, and the cause', () => {
    const onResource = new InternalTransformError('F', new TypeError('x is undefined'));
    expect(onResource.toProblem()).toEqual({
      logicalId: 'F',
      message: 'Resource F: internal error in the SysdigImageFix transform (TypeError: x is undefined); please report this with the template',
    });
    expect(onResource.cause).toBeInstanceOf(TypeError);
    expect(new InternalTransformError(undefined, 'thrown text').toProblem()).toEqual({
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
});
