// CloudFormation's quotas on the transformed template: 500 resources, 200 outputs, 1 MB for a processed template
// ("Understand CloudFormation quotas", "Troubleshoot the processed template"; cfn-lint E1002 counts 1,000,000 bytes).
import { describe, expect, it } from 'vitest';
import { deepPath, jsonBytes, MAX_TEMPLATE_BODY_BYTES, MAX_TEMPLATE_BYTES, processedTemplateProblem, templateTextSize } from '../../../src/template/quotas.js';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
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

describe('Quotas: the edges', () => {
  it('counts a template that was over before the transform as over, saying the transform added nothing', () => {
    const queues = Object.fromEntries(Array.from({ length: 501 }, (_, i) => [`Q${i}`, { Type: 'AWS::SQS::Queue' }]));
    const [problem] = expectFailure(run(template(queues)));
    expect(problem!.message).toContain('has 501 resources, 1 over');
    expect(problem!.message).toContain('(SysdigImageFix added 0; 0 are ImageMirror resources,');
  });

  it('passes at exactly 200 outputs', () => {
    const outputs = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`O${i}`, { Value: 'x' }]));
    expectSuccess(run(template(functions(1, 1), { Outputs: outputs })));
  });

  it('says the whole of what the CLI reports over 1 MB, and only notes a text of exactly 1 MB', () => {
    expect(templateTextSize(MAX_TEMPLATE_BYTES)).toEqual({
      note: expect.stringContaining('the written template is 1,000,000 bytes, over the 51,200 bytes CloudFormation takes inline'),
    });
    expect(templateTextSize(1_234_567)).toEqual({
      problem:
        "the written template is 1,234,567 bytes, 234,567 over CloudFormation's quota of 1,000,000 bytes (1 MB) for a template read from S3; " +
        'share images between functions (sites with the same image and architecture share one mirror), mirror some images once in a stack of ' +
        'their own and set Metadata.SysdigImageFix.Skip on the functions that use them, or split the stack (nested stacks)',
    });
  });

  it('leaves out how much the transform added when the input itself cannot be measured', () => {
    let deep: Json = 'bottom';
    for (let i = 0; i < 20_000; i += 1) deep = [deep];
    const message = processedTemplateProblem(MAX_TEMPLATE_BYTES + 1, { Resources: { Deep: deep } })!.message;
    expect(message).toContain("1 over CloudFormation's quota of 1,000,000 bytes (1 MB) for a processed template; share images");
  });

  it('measures JSON in UTF-8 bytes, and says where a value too deep to write is and why', () => {
    expect(jsonBytes({ a: 'é' })).toBe('{"a":"é"}'.length + 1);
    let deep: Json = 'bottom';
    for (let i = 0; i < 20_000; i += 1) deep = [deep];
    const reason = jsonBytes({ Resources: { Deep: { Properties: { Value: deep } } } });
    expect(reason).toMatch(/^Resources\.Deep\.Properties\.Value\[0\]\[0\]… is nested more than 1,000 levels deep \(RangeError: .+\)$/);
  });

  it('names the first value nested deeper than the limit, by at most six segments of at most 64 characters each', () => {
    const long = 'K'.repeat(70);
    expect(deepPath({ a: { b: 1 } }, 2)).toBeUndefined();
    expect(deepPath({ a: { b: 1 } }, 1)).toBe('a.b');
    expect(deepPath([[1]], 1)).toBe('[0][0]');
    expect(deepPath({ [long]: { [long]: 1 } }, 1)).toBe(`${'K'.repeat(64)}.${'K'.repeat(64)}`);
    expect(deepPath({ a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } }, 6)).toBe('a.b.c.d.e.f…');
    expect(deepPath({ a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } }, 7)).toBe('a.b.c.d.e.f…');
    expect(deepPath({ a: { b: { c: { d: { e: { f: 1 } } } } } }, 5)).toBe('a.b.c.d.e.f');
    expect(deepPath('top', -1)).toBe('(top)');
  });
});
