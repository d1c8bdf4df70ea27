// What the user reads when sites cannot share a mirror, or a mirror cannot be placed: every message whole, naming the
// resources, the mirror (its source cut to 200 characters) and the fix.
import { describe, expect, it } from 'vitest';
import type { MirrorPlatform } from '../../../src/template/architecture.js';
import { describeMirror, type MirrorRequest, planMirrors } from '../../../src/template/mirror-plan.js';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, defaults, expectedMirrorId, expectFailure, expectSuccess, lambdaFunction, onlyMirror, QUAY_IMAGE, stringParameter, template } from './fixtures.js';

const X86: MirrorPlatform = { kind: 'literal', architecture: 'x86_64' };
const OPTIONS = { repositoryPrefix: 'sysdig-image-fix', serviceTimeout: 3600 };
const request = (logicalId: string, key: string, source: MirrorRequest['source'] = { kind: 'literal', image: QUAY_IMAGE, repositoryName: 'r' }): MirrorRequest => ({
  logicalId,
  path: ['Properties', 'ImageUri'],
  source,
  architecture: X86,
  options: OPTIONS,
  mirror: { key, logicalId: 'ImageMirror0badf00d' },
});
const ID = expectedMirrorId(QUAY_IMAGE, 'x86_64');
const run = (input: JsonObject, d = defaults()) => transform(input, context(), d);

describe('Sites sharing a mirror', () => {
  it('with options that differ: names both resources, the mirror, both values as written, and the fix', () => {
    const input = template({
      A: lambdaFunction(QUAY_IMAGE, { options: { RepositoryPrefix: 'a', ServiceTimeout: 60 } }),
      B: lambdaFunction(QUAY_IMAGE, { options: { RepositoryPrefix: 'b', ServiceTimeout: 120 } }),
    });
    const shared = `Resources A and B share image mirror ${ID} (${QUAY_IMAGE}, "x86_64") but ask for different`;
    expect(expectFailure(run(input))).toEqual([
      { logicalId: 'B', message: `${shared} RepositoryPrefix ("a" and "b"); give both the same Metadata.SysdigImageFix.RepositoryPrefix` },
      { logicalId: 'B', message: `${shared} ServiceTimeout (60 and 120); give both the same Metadata.SysdigImageFix.ServiceTimeout` },
    ]);
  });

  it('with options that differ: still reports what else is wrong with the mirror (all problems in one run)', () => {
    const input = template({
      [ID]: { Type: 'AWS::S3::Bucket' },
      A: lambdaFunction(QUAY_IMAGE, { options: { ServiceTimeout: 60 } }),
      B: lambdaFunction(QUAY_IMAGE, { options: { ServiceTimeout: 120 } }),
    });
    expect(expectFailure(run(input))).toEqual([
      {
        logicalId: 'B',
        message: `Resources A and B share image mirror ${ID} (${QUAY_IMAGE}, "x86_64") but ask for different ServiceTimeout (60 and 120); give both the same Metadata.SysdigImageFix.ServiceTimeout`,
      },
      { logicalId: ID, message: `Resource ${ID}: this logical id is taken, but A, B need it for image mirror ${ID} (${QUAY_IMAGE}, "x86_64"); rename the existing resource` },
    ]);
    const parameter = template(
      { A: lambdaFunction(QUAY_IMAGE, { options: { RepositoryPrefix: 'a' } }), B: lambdaFunction(QUAY_IMAGE, { options: { RepositoryPrefix: 'b' } }) },
      { Parameters: { [ID]: stringParameter('x') } },
    );
    expect(expectFailure(run(parameter)).map((problem) => problem.message)).toEqual([
      `Resources A and B share image mirror ${ID} (${QUAY_IMAGE}, "x86_64") but ask for different RepositoryPrefix ("a" and "b"); give both the same Metadata.SysdigImageFix.RepositoryPrefix`,
      `Template: parameter ${ID} has the logical id of the image mirror ${ID} (${QUAY_IMAGE}, "x86_64") that A, B need; rename the parameter`,
    ]);
  });

  it('agree on Refresh when one says false and the other leaves it out', () => {
    const input = template({ A: lambdaFunction(QUAY_IMAGE, { options: { Refresh: false } }), B: lambdaFunction(QUAY_IMAGE, { options: {} }) });
    expect(onlyMirror(expectSuccess(run(input)).fragment)[0]).toBe(ID);
  });

  it('never merges two different images whose ids collide, naming both resources', () => {
    const plan = planMirrors(template({}), [request('A', 'one'), request('B', 'two'), request('C', 'one')], 'arn');
    expect(plan.mirrors).toEqual([]);
    expect(plan.problems.map((problem) => problem.toProblem())).toEqual([
      {
        logicalId: 'B',
        message: 'Resources A and B: different images hash to the same mirror id ImageMirror0badf00d; set Metadata.SysdigImageFix.Skip on one of them and mirror it by hand',
      },
    ]);
  });
});

describe('A mirror that cannot be placed', () => {
  it('when a parameter has its logical id: names the mirror, each site once, and the fix', () => {
    const plan = planMirrors(template({}, { Parameters: { ImageMirror0badf00d: stringParameter('x') } }), [request('T', 'k'), request('T', 'k'), request('F', 'k')], 'arn');
    expect(plan.problems.map((problem) => problem.toProblem())).toEqual([
      {
        message: `Template: parameter ImageMirror0badf00d has the logical id of the image mirror ImageMirror0badf00d (${QUAY_IMAGE}, "x86_64") that T, F need; rename the parameter`,
      },
    ]);
  });

  it('when a resource has its logical id', () => {
    expect(expectFailure(run(template({ [ID]: { Type: 'AWS::S3::Bucket' }, F: lambdaFunction(QUAY_IMAGE), G: lambdaFunction(QUAY_IMAGE) })))).toEqual([
      { logicalId: ID, message: `Resource ${ID}: this logical id is taken, but F, G need it for image mirror ${ID} (${QUAY_IMAGE}, "x86_64"); rename the existing resource` },
    ]);
  });

  it.each<[string, Json | undefined]>([
    ['null', null],
    ['undefined', undefined],
    ['empty', ''],
  ])('when the mirror function ARN is %s: names each site once', (_, arn) => {
    const task = {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: { ExecutionRoleArn: 'arn:aws:iam::1:role/r', ContainerDefinitions: [{ Image: QUAY_IMAGE }, { Image: 'nginx' }] },
    };
    const input = template({ T: task, F: lambdaFunction(QUAY_IMAGE) }, { Metadata: { SysdigImageFix: { Ecs: true } } });
    expect(expectFailure(run(input, { mirrorFunctionArn: arn as Json }))).toEqual([
      {
        message:
          'Template: resources F, T need an image mirror, but no mirror function ARN is configured (set MIRROR_FUNCTION_ARN on the macro function, or pass --mirror-function-arn to the CLI)',
      },
    ]);
  });
});

describe('A mirror in a message', () => {
  const expressionOf = (length: number): MirrorRequest['source'] => ({ kind: 'expression', expression: 'x'.repeat(length - 2) });
  it('shows a source of up to 200 characters whole, a longer one cut', () => {
    expect(describeMirror(request('F', 'k', expressionOf(200)))).toBe(`image mirror ImageMirror0badf00d ("${'x'.repeat(198)}", "x86_64")`);
    expect(describeMirror(request('F', 'k', expressionOf(201)))).toBe(`image mirror ImageMirror0badf00d ("${'x'.repeat(199)}…, "x86_64")`);
  });
});
