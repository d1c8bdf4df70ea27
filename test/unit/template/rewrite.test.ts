// Where the planned mirrors go in the output template.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, defaults, expectedMirrorId, expectFailure, expectSuccess, lambdaFunction, mirrorRef, QUAY_IMAGE, stringParameter } from './fixtures.js';

const AGENT = 'quay.io/sysdig/agent:1';

describe('Placing mirrors', () => {
  it.each<[string, JsonObject]>([
    ['no Resources section', {}],
    ['an empty Resources section', { Resources: null }],
  ])('gives a template with %s the mirror its Outputs read (before: they read a mirror that was not in the template)', (_, resources) => {
    const input = {
      Parameters: { Agent: stringParameter(AGENT) },
      Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'] } },
      ...resources,
      Outputs: { AgentImage: { Value: { Ref: 'Agent' } } },
    } as JsonObject;
    const snapshot = JSON.stringify(input);
    const { fragment } = expectSuccess(transform(input, context(), defaults()));
    const id = expectedMirrorId({ Ref: 'Agent' }, 'all');
    expect((fragment.Outputs as JsonObject).AgentImage).toEqual({ Value: mirrorRef(id) });
    expect(Object.keys(fragment.Resources as JsonObject)).toEqual([id]);
    expect(((fragment.Resources as JsonObject)[id] as JsonObject).Type).toBe('Custom::ImageMirror');
    expect(JSON.stringify(input)).toBe(snapshot);
    // Transformed again, the same template.
    expect(JSON.stringify(expectSuccess(transform(fragment as Json, context(), defaults())).fragment)).toBe(JSON.stringify(fragment));
  });

  describe("a mirror's own condition (its sites have different Conditions)", () => {
    const id = expectedMirrorId(QUAY_IMAGE, 'x86_64');
    const sites = { A: lambdaFunction(QUAY_IMAGE, { condition: 'InA' }), B: lambdaFunction(QUAY_IMAGE, { condition: 'InB' }) };

    it('is refused, naming the mirror and the condition, when Conditions is not an object', () => {
      expect(expectFailure(transform({ Conditions: ['InA'], Resources: sites } as JsonObject, context(), defaults()))).toEqual([
        { message: `Template: Conditions must be an object of conditions by name (image mirror ${id} (${QUAY_IMAGE}, "x86_64") needs condition ${id}Needed)` },
      ]);
    });

    it('goes into a Conditions section of its own when the template has none', () => {
      const { fragment } = expectSuccess(transform({ Resources: sites }, context(), defaults()));
      expect(fragment.Conditions).toEqual({ [`${id}Needed`]: { 'Fn::Or': [{ Condition: 'InA' }, { Condition: 'InB' }] } });
      expect(((fragment.Resources as JsonObject)[id] as JsonObject).Condition).toBe(`${id}Needed`);
      // Given the entry (and the mirror) it would write, with the sites as written before: reused as they are.
      const again = { Conditions: fragment.Conditions, Resources: { ...sites, [id]: (fragment.Resources as JsonObject)[id] } } as JsonObject;
      expect(expectSuccess(transform(again, context(), defaults())).fragment).toEqual({ Conditions: fragment.Conditions, Resources: fragment.Resources });
    });
  });
});

describe('Problems found while placing mirrors', () => {
  it('are reported together with the problems found before (before: only once the others were fixed)', () => {
    const id = expectedMirrorId(QUAY_IMAGE, 'x86_64');
    const input = { Resources: { [id]: { Type: 'AWS::S3::Bucket' }, F: lambdaFunction(QUAY_IMAGE), Bad: lambdaFunction('s3://bucket/app') } } as JsonObject;
    expect(expectFailure(transform(input, context(), defaults())).map((problem) => problem.logicalId)).toEqual(['Bad', id]);
  });

  it('are not followed by a resource count of a template they left unfinished', () => {
    const id = expectedMirrorId(QUAY_IMAGE, 'x86_64');
    const queues = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`Q${i}`, { Type: 'AWS::SQS::Queue' }]));
    const input = { Resources: { ...queues, [id]: { Type: 'AWS::S3::Bucket' }, F: lambdaFunction(QUAY_IMAGE), G: lambdaFunction('nginx:1') } } as JsonObject;
    expect(expectFailure(transform(input, context(), defaults())).map((problem) => problem.logicalId)).toEqual([id]);
  });
});

describe('A transform that cannot start', () => {
  it.each<[string, unknown, string]>([
    ['null', null, 'null'],
    ['a list', [], 'a list'],
    ['a string', 'Resources: {}', 'a string'],
    ['a number', 3, 'a number'],
    ['missing', undefined, 'undefined'],
  ])('says what the fragment is when it is %s, with no sites and no warnings', (_, fragment, shown) => {
    expect(transform(fragment, context(), defaults())).toStrictEqual({
      ok: false,
      errors: [{ message: `Template: the fragment is ${shown}, not a template object` }],
      sites: [],
      warnings: [],
    });
  });

  it('turns an exception outside any site into one internal error of the template', () => {
    const hostile = {
      ...context(),
      get transformParameters(): unknown {
        throw new Error('boom');
      },
    };
    expect(transform({ Resources: { F: lambdaFunction(QUAY_IMAGE) } }, hostile, defaults())).toStrictEqual({
      ok: false,
      errors: [{ message: 'Template: internal error in the SysdigImageFix transform (Error: boom); please report this with the template' }],
      sites: [],
      warnings: [],
    });
  });

  it('reports a site whose decision threw as failed', () => {
    const hostile = {
      ...context(),
      get region(): string {
        throw new Error('boom');
      },
    };
    const result = transform({ Resources: { F: lambdaFunction(QUAY_IMAGE) } }, hostile, defaults());
    expect(result.sites).toStrictEqual([{ logicalId: 'F', resourceType: 'AWS::Lambda::Function', image: QUAY_IMAGE, verdict: 'failed' }]);
  });
});
