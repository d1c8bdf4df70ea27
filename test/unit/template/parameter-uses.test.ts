// Which places of a template read a mirrored parameter: those are rewritten to read the mirror, and on a second run
// (the output transformed again) they still count as uses, in every form a template can read the mirror.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, defaults, expectSuccess, mirrorRef, mirrorsOf, ref, stringParameter, sub, template, AGENT, AGENT_MIRROR as MIRROR } from './fixtures.js';

const consumer = (value: Json, extra: JsonObject = {}): JsonObject => ({ Type: 'AWS::SSM::Parameter', ...extra, Properties: { Type: 'String', Value: value } });
const consumedValue = (fragment: JsonObject, id: string): Json => (((fragment.Resources as JsonObject)[id] as JsonObject).Properties as JsonObject).Value!;
const SECTIONS = { Parameters: { Agent: stringParameter(AGENT) }, Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'] } } };
const run = (input: JsonObject) => transform(input, context(), defaults());

describe('MirrorParameters: the output transformed again', () => {
  /** The first run's output, with the consumer reading the mirror as `value`. */
  const output = (value: Json): JsonObject => {
    const { fragment } = expectSuccess(run(template({ C: consumer(ref('Agent')) }, SECTIONS)));
    return { ...fragment, Resources: { ...(fragment.Resources as JsonObject), C: consumer(value) } };
  };

  it.each<[string, Json]>([
    ['Fn::GetAtt [M, ImageUri]', mirrorRef(MIRROR)],
    ['Fn::GetAtt "M.ImageUri"', { 'Fn::GetAtt': `${MIRROR}.ImageUri` }],
    ['${M.ImageUri} in Fn::Sub', sub(`\${${MIRROR}.ImageUri}:x`)],
    ['${M.ImageUri} in the list form of Fn::Sub', sub(`\${${MIRROR}.ImageUri}`, { Other: 'x' })],
  ])('counts %s as a use: no warning, the mirror stays as it was', (_form, value) => {
    const input = output(value);
    const result = run(input);
    expect(expectSuccess(result).fragment).toEqual(input);
    expect(result.warnings).toEqual([]);
  });

  it.each<[string, Json]>([
    ['another attribute of the mirror', { 'Fn::GetAtt': [MIRROR, 'RepositoryUri'] }],
    ['another attribute, written as a string', { 'Fn::GetAtt': `${MIRROR}.RepositoryUri` }],
    ['ImageUri of another resource', { 'Fn::GetAtt': 'Other.ImageUri' }],
    ['its Platform, written as a string (as long as ".ImageUri")', { 'Fn::GetAtt': `${MIRROR}.Platform` }],
    ['its Platform in Fn::Sub', sub(`\${${MIRROR}.Platform}`)],
    ['a GetAtt with three arguments', { 'Fn::GetAtt': [MIRROR, 'ImageUri', 'x'] }],
    ['ImageUri of another resource in Fn::Sub', sub('${Other.ImageUri}')],
    ['a placeholder starting with a dot', sub('${.ImageUri}')],
  ])('does not count %s', (_form, value) => {
    const result = run(output(value));
    expect(result.warnings.map((warning) => warning.logicalId)).toEqual(['Agent']);
  });
});

describe('MirrorParameters: where a use is rewritten', () => {
  it('in SAM Globals, in resource Metadata (but not the macro’s own options), and in an output Value only', () => {
    const input = template(
      { C: consumer('x', { Metadata: { Note: ref('Agent'), SysdigImageFix: { Skip: false } } }) },
      {
        ...SECTIONS,
        Globals: { Function: { Environment: { Variables: { AGENT: ref('Agent') } } } },
        Outputs: { O: { Value: ref('Agent'), Export: { Name: { 'Fn::Sub': '${Agent}-export' } } } },
      },
    );
    const { fragment } = expectSuccess(run(input));
    expect(fragment.Globals).toEqual({ Function: { Environment: { Variables: { AGENT: mirrorRef(MIRROR) } } } });
    expect(((fragment.Resources as JsonObject).C as JsonObject).Metadata).toEqual({ Note: mirrorRef(MIRROR), SysdigImageFix: { Skip: false } });
    expect(fragment.Outputs).toEqual({ O: { Value: mirrorRef(MIRROR), Export: { Name: { 'Fn::Sub': '${Agent}-export' } } } });
  });

  it('not in the arguments of Fn::ImportValue or Fn::Transform, nor in a ${} outside Fn::Sub, nor outside Properties and Metadata', () => {
    const input = template(
      {
        I: consumer({ 'Fn::ImportValue': sub('${Agent}-out') }),
        B: consumer({ 'Fn::Base64': '${Agent}' }),
        J: consumer({ 'Fn::Join': ['${Agent}', ['a', 'b']] }),
        T: consumer({ 'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: ref('Agent') } } }),
        U: consumer(ref('Agent'), { UpdateReplacePolicy: ref('Agent') }),
        Other: { Type: 'Custom::ImageMirror', Properties: { ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:f', SourceImage: ref('Agent') } },
      },
      SECTIONS,
    );
    const { fragment } = expectSuccess(run(input));
    const resources = fragment.Resources as JsonObject;
    expect(consumedValue(fragment, 'I')).toEqual({ 'Fn::ImportValue': sub('${Agent}-out') });
    expect(consumedValue(fragment, 'B')).toEqual({ 'Fn::Base64': '${Agent}' });
    expect(consumedValue(fragment, 'J')).toEqual({ 'Fn::Join': ['${Agent}', ['a', 'b']] });
    expect(consumedValue(fragment, 'T')).toEqual({ 'Fn::Transform': { Name: 'AWS::Include', Parameters: { Location: ref('Agent') } } });
    expect(resources.U).toEqual(consumer(mirrorRef(MIRROR), { UpdateReplacePolicy: ref('Agent') }));
    expect(resources.Other).toEqual((input.Resources as JsonObject).Other);
  });

  it('in a placeholder with spaces, and in a Sub whose text is not a string or a Ref whose argument is no name (their parts are walked)', () => {
    const three: Json = { 'Fn::Sub': ['${Agent}', { V: ref('Agent') }, 'x'] };
    const resources = { S: consumer(sub('${ Agent }')), N: consumer({ 'Fn::Sub': [ref('Agent'), {}] }), T: consumer(three), R: consumer({ Ref: ref('Agent') }) };
    const { fragment } = expectSuccess(run(template(resources, SECTIONS)));
    expect(consumedValue(fragment, 'R')).toEqual({ Ref: mirrorRef(MIRROR) });
    expect(consumedValue(fragment, 'S')).toEqual(sub(`\${${MIRROR}.ImageUri}`));
    expect(consumedValue(fragment, 'N')).toEqual({ 'Fn::Sub': [mirrorRef(MIRROR), {}] });
    // Not the list form (three items): only the Refs in it are uses, its text is a plain string there.
    expect(consumedValue(fragment, 'T')).toEqual({ 'Fn::Sub': ['${Agent}', { V: mirrorRef(MIRROR) }, 'x'] });
  });

  it('leaves an entry that is not an object, and a section that is not one, as they are', () => {
    const input = template({ C: consumer(ref('Agent')) }, { ...SECTIONS, Outputs: { Broken: 'x', O: { Value: ref('Agent') } }, Globals: 'x' as unknown as JsonObject });
    const { fragment } = expectSuccess(run(input));
    expect(fragment.Outputs).toEqual({ Broken: 'x', O: { Value: mirrorRef(MIRROR) } });
    expect(fragment.Globals).toBe('x');
  });

  it('reads the mirror from Globals alone: the mirror is always needed', () => {
    const input = template(
      { C: consumer('x', { Condition: 'Never' }) },
      { ...SECTIONS, Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } }, Globals: { Function: { Environment: { Variables: { AGENT: ref('Agent') } } } } },
    );
    const { fragment } = expectSuccess(run(input));
    expect(mirrorsOf(fragment)[MIRROR]).toBeDefined();
    expect(mirrorsOf(fragment)[MIRROR]!.Condition).toBeUndefined();
  });
});
