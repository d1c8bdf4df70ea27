// Uses of a mirrored parameter at the edges of where they are looked for: the macro's own options (never a use),
// resource Metadata whose inner keys look like the resource's own image site, outputs whatever other keys they
// carry, and sections the template does not have (the output gains none).
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { AGENT_MIRROR as MIRROR, AGENT, context, defaults, expectSuccess, lambdaFunction, mirrorRef, mirrorsOf, ref, stringParameter, template } from './fixtures.js';

const SECTIONS = { Parameters: { Agent: stringParameter(AGENT) }, Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'] } } };
const consumer = (value: Json, extra: JsonObject = {}): JsonObject => ({ Type: 'AWS::SSM::Parameter', ...extra, Properties: { Type: 'String', Value: value } });
const run = (input: JsonObject) => transform(input, context(), defaults());
const UNUSED = 'Parameter Agent (MirrorParameters): nothing uses it outside image sites';

describe('MirrorParameters: uses at the edges', () => {
  it('does not count or rewrite a Ref in a resource’s own SysdigImageFix block: the parameter is still unused', () => {
    const metadata = { SysdigImageFix: { Note: ref('Agent') }, Other: 'x' };
    const result = expectSuccess(run(template({ C: consumer('x', { Metadata: metadata }) }, SECTIONS)));
    expect(((result.fragment.Resources as JsonObject).C as JsonObject).Metadata).toEqual(metadata);
    expect(result.warnings.map((warning) => warning.message.slice(0, UNUSED.length))).toEqual([UNUSED]);
  });

  it('rewrites a use in Metadata even where its keys there repeat the path of the resource’s own image site', () => {
    const metadata = { Copy: { Properties: { Code: { ImageUri: ref('Agent') } } } };
    const { fragment } = expectSuccess(run(template({ F: { ...lambdaFunction('quay.io/a/b:1'), Metadata: metadata } }, SECTIONS)));
    expect(((fragment.Resources as JsonObject).F as JsonObject).Metadata).toEqual({ Copy: { Properties: { Code: { ImageUri: mirrorRef(MIRROR) } } } });
  });

  it('rewrites an output’s Value whatever other keys the output has', () => {
    const outputs = { O: { Type: 'Custom::ImageMirror', Value: ref('Agent') } };
    const { fragment } = expectSuccess(run(template({}, { ...SECTIONS, Outputs: outputs })));
    expect(fragment.Outputs).toEqual({ O: { Type: 'Custom::ImageMirror', Value: mirrorRef(MIRROR) } });
  });

  it('does not copy a resource Condition that is no name onto the mirror (the mirror is needed always)', () => {
    const reader = { ...consumer(ref('Agent')), Condition: ['Never'] };
    const { fragment } = expectSuccess(run(template({ C: reader }, { ...SECTIONS, Conditions: { Never: { 'Fn::Equals': ['a', 'b'] } } })));
    expect(mirrorsOf(fragment)[MIRROR]).toBeDefined();
    expect(mirrorsOf(fragment)[MIRROR]!.Condition).toBeUndefined();
  });

  it('gives the output no section the input did not have (no Outputs or Globals key, not even an empty one)', () => {
    const input = template({ C: consumer(ref('Agent')) }, SECTIONS);
    const { fragment } = expectSuccess(run(input));
    expect(Object.keys(fragment).sort()).toEqual(Object.keys(input).sort());
  });
});
