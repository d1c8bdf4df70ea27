// What a mirror waits for, read from every form a template can use to point at a resource: each form that makes a
// resource read the mirror is a cycle the mirror must not wait through, and each that does not is no reason to skip a
// wait. The warnings are what the user reads, whole.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, defaults, equals, expectedMirrorId, expectSuccess, lambdaFunction, onlyMirror, QUAY_IMAGE, ref, stringParameter, template } from './fixtures.js';

const ID = expectedMirrorId(QUAY_IMAGE, 'x86_64');
const run = (input: JsonObject) => expectSuccess(transform(input, context(), defaults()));
/** A topic whose DisplayName is `value` (a resource that may refer to others). */
const topic = (value: Json, extra: JsonObject = {}): JsonObject => ({ Type: 'AWS::SNS::Topic', Properties: { DisplayName: value }, ...extra });
/** F1 reads the mirror; F2 (same image) waits for X, built by `x`. */
const waitingFor = (x: JsonObject, sections: JsonObject = {}) =>
  template({ F1: lambdaFunction(QUAY_IMAGE), X: x, F2: { ...lambdaFunction(QUAY_IMAGE), DependsOn: 'X' } }, sections);

describe('Mirror order: the forms of a reference', () => {
  it.each<[string, JsonObject]>([
    ['Fn::GetAtt as a string', topic({ 'Fn::GetAtt': 'F1.Arn' })],
    ['an Fn::Sub placeholder with an attribute', topic({ 'Fn::Sub': 'name-${F1.Arn}' })],
    ['an Fn::Sub placeholder in the list form', topic({ 'Fn::Sub': ['name-${ F1 }', { Other: 'x' }] })],
    ['a Ref inside a list', topic({ 'Fn::Join': ['', ['a', ref('F1')]] })],
    ['a DependsOn', topic('x', { DependsOn: ['F1'] })],
    ['a DependsOn written as a string', topic('x', { DependsOn: 'F1' })],
  ])('%s that reaches the mirror is a cycle: no wait, a warning', (_, x) => {
    const { fragment, warnings } = run(waitingFor(x));
    expect(onlyMirror(fragment)[1]).not.toHaveProperty('DependsOn');
    expect(warnings).toEqual([
      {
        logicalId: 'F2',
        message: `Resource F2: it waits for X (DependsOn), but its image mirror ${ID} (${QUAY_IMAGE}, "x86_64") cannot: X reads that mirror itself (directly or through other resources), so waiting for it would be a circular dependency`,
      },
    ]);
  });

  it.each<[string, JsonObject]>([
    ['a placeholder its own Fn::Sub variables define', topic({ 'Fn::Sub': ['name-${F1}', { F1: 'x' }] })],
    ['an escaped placeholder', topic({ 'Fn::Sub': 'name-${!F1}' })],
    ['a Ref to a parameter', topic(ref('P'))],
    ['a GetAtt string without a resource of that name', topic({ 'Fn::GetAtt': 'Nothing.Arn' })],
    ['a GetAtt of another shape', topic({ 'Fn::GetAtt': 7 })],
    ['a DependsOn that is not a name', topic('x', { DependsOn: [7, 'Missing'] })],
    ['an Fn::Sub of another shape', topic({ 'Fn::Sub': 7 })],
    ['a Ref whose argument is not a name', topic({ Ref: ['F1'] })],
    ['resources that refer to each other (a cycle that does not reach the mirror)', topic({ 'Fn::GetAtt': ['Y', 'TopicName'] })],
  ])('%s reaches nothing: the mirror waits', (_, x) => {
    const input = waitingFor(x, { Parameters: { P: stringParameter('x') } });
    (input.Resources as JsonObject).Y = topic({ 'Fn::GetAtt': ['X', 'TopicName'] });
    const { fragment, warnings } = run(input);
    expect(onlyMirror(fragment)[1].DependsOn).toEqual(['X']);
    expect(warnings).toEqual([]);
  });

  it('waits only for the names of a DependsOn list that are names, and not for one that names no resource', () => {
    const input = template({ '5': topic('x'), X: topic('x'), F: { ...lambdaFunction(QUAY_IMAGE), DependsOn: ['Missing', 5, 'X'] as Json } });
    const { fragment, warnings } = run(input);
    expect(onlyMirror(fragment)[1].DependsOn).toEqual(['X']);
    expect(warnings).toEqual([]);
  });

  it('does not wait for itself when a site of a transformed template waits for its mirror', () => {
    const once = run(template({ X: topic('x'), F: { ...lambdaFunction(QUAY_IMAGE), DependsOn: 'X' } })).fragment;
    const resources = once.Resources as JsonObject;
    const waiting = { ...once, Resources: { ...resources, G: { ...lambdaFunction(QUAY_IMAGE), DependsOn: [ID, 'X'] } } };
    const { fragment, warnings } = run(waiting);
    expect(warnings).toEqual([]);
    expect((fragment.Resources as JsonObject)[ID]).toEqual(resources[ID]);
  });

  it('names the first site that waits, once, when several wait for the same resource', () => {
    const input = template({
      F1: lambdaFunction(QUAY_IMAGE),
      X: topic(ref('F1')),
      F2: { ...lambdaFunction(QUAY_IMAGE), DependsOn: 'X' },
      F3: { ...lambdaFunction(QUAY_IMAGE), DependsOn: 'X' },
    });
    expect(run(input).warnings.map((warning) => warning.logicalId)).toEqual(['F2']);
  });

  it("says the whole of a wait it skips for the resource's Condition", () => {
    const conditions = { Conditions: { Prod: equals(ref('AWS::StackName'), 'prod') } };
    const { warnings } = run(template({ X: topic('x', { Condition: 'Prod' }), F: { ...lambdaFunction(QUAY_IMAGE), DependsOn: 'X' } }, conditions));
    expect(warnings).toEqual([
      {
        logicalId: 'F',
        message: `Resource F: it waits for X (DependsOn), but its image mirror ${ID} (${QUAY_IMAGE}, "x86_64") cannot: X has Condition Prod, and the mirror may exist when X does not; give them the same Condition, or make X unconditional`,
      },
    ]);
  });
});
