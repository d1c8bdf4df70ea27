// CloudFormation's quotas on the transformed template: 500 resources, 200 outputs, 1 MB for a processed template
// ("Understand CloudFormation quotas", "Troubleshoot the processed template"; cfn-lint E1002 counts 1,000,000 bytes).
import { describe, expect, it } from 'vitest';
import { MAX_TEMPLATE_BODY_BYTES, MAX_TEMPLATE_BYTES, processedTemplateProblem, templateTextSize } from '../../../src/template/quotas.js';
import { transform } from '../../../src/template/transform.js';
import type { JsonObject } from '../../../src/template/types.js';
import { context, defaults, expectFailure, expectSuccess, lambdaFunction, template } from './fixtures.js';

const run = (input: JsonObject) => transform(input, context(), defaults());

/** `functions` image functions over `images` distinct images. */
function functions(count: number, images: number): JsonObject {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`Fn${i}`, lambdaFunction(`quay.io/org/app${i % images}:1`)]));
}

describe('Quotas', () => {
  it('fails when the mirrors take the template over 500 resources, saying by how much and what to do (before: 590 resources returned)', () => {
    const [problem, ...rest] = expectFailure(run(template(functions(500, 90))));
    expect(rest).toEqual([]);
    expect(problem!.message).toBe(
      "Template: the transformed template has 590 resources, 90 over CloudFormation's quota of 500 resources per template (SysdigImageFix added 90; " +
        '90 are ImageMirror resources, one per distinct image and architecture); share images between functions (sites with the same image and ' +
        'architecture share one mirror), mirror some images once in a stack of their own and set Metadata.SysdigImageFix.Skip on the functions ' +
        'that use them, or split the stack (nested stacks)',
    );
  });

  it('passes at exactly 500', () => {
    expect(Object.keys(expectSuccess(run(template(functions(410, 90)))).fragment.Resources as JsonObject)).toHaveLength(500);
  });

  it('fails for more than 200 outputs', () => {
    const outputs = Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`O${i}`, { Value: 'x' }]));
    const [problem] = expectFailure(run(template(functions(1, 1), { Outputs: outputs })));
    expect(problem!.message).toBe("Template: the template has 201 outputs, 1 over CloudFormation's quota of 200 per template; split the stack");
  });

  it('says how far a processed template is over 1 MB, and how much the transform added', () => {
    expect(processedTemplateProblem(MAX_TEMPLATE_BYTES, {})).toBeUndefined();
    expect(processedTemplateProblem(MAX_TEMPLATE_BYTES + 5, { Resources: {} })!.message).toBe(
      "Template: the transformed template is 1,000,005 bytes as JSON, 5 over CloudFormation's quota of 1,000,000 bytes (1 MB) for a processed " +
        'template (SysdigImageFix added 999,989); share images between functions (sites with the same image and architecture share one mirror), ' +
        'mirror some images once in a stack of their own and set Metadata.SysdigImageFix.Skip on the functions that use them, or split the stack (nested stacks)',
    );
  });

  it('says what the CLI notes about the written text: over 51,200 bytes a note, over 1 MB an error', () => {
    expect(templateTextSize(MAX_TEMPLATE_BODY_BYTES)).toEqual({});
    expect(templateTextSize(MAX_TEMPLATE_BODY_BYTES + 1).note).toBe(
      'the written template is 51,201 bytes, over the 51,200 bytes CloudFormation takes inline (--template-body); deploy it from S3: aws cloudformation deploy --s3-bucket BUCKET, sam deploy (uploads it), or --template-url',
    );
    expect(templateTextSize(MAX_TEMPLATE_BYTES + 1).problem).toContain("the written template is 1,000,001 bytes, 1 over CloudFormation's quota of 1,000,000 bytes");
  });
});
