import { describe, expect, it } from 'vitest';
import { createResolver } from '../../../src/template/resolve/resolver.js';
import { architectureSource, chooseArchitecture } from '../../../src/template/architecture.js';
import { findImageSites } from '../../../src/template/sites.js';
import { InvalidArchitectureError } from '../../../src/template/errors.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, equals, ifThen, lambdaFunction, NO_VALUE, REGION, ref, samFunction, template } from './fixtures.js';

describe('Function: chooseArchitecture', () => {
  const PARAMETERS: JsonObject = {
    Arch: { Type: 'String', Default: 'arm64' },
    ArchList: { Type: 'CommaDelimitedList', Default: 'arm64' },
    Unknown: { Type: 'CommaDelimitedList' },
    UnknownOne: { Type: 'String' },
  };
  const CONDITIONS: JsonObject = {
    UseArm: equals(ref('Arch'), 'arm64'),
    Later: equals(ref('AWS::StackName'), 'x'),
  };
  function choose(resource: JsonObject, globals?: JsonObject, values: JsonObject = {}) {
    const t = template({ F: resource }, { Parameters: PARAMETERS, Conditions: CONDITIONS, ...(globals ? { Globals: globals } : {}) });
    const [site] = findImageSites(t);
    return chooseArchitecture(site!, architectureSource(site!, t), createResolver(t, context({ templateParameterValues: values })));
  }
  const literal = (architecture: string) => ({ kind: 'literal', architecture });
  const expression = (e: Json) => ({ kind: 'expression', expression: e });
  /** An expression resolved now: the mirror keeps the expression, the report the value. */
  const followed = (e: Json, resolved: string) => ({ kind: 'expression', expression: e, resolved });

  it('defaults to x86_64', () => {
    expect(choose(lambdaFunction('a'))).toEqual(literal('x86_64'));
  });
  it('reads a literal one-element list', () => {
    expect(choose(lambdaFunction('a', { architectures: ['arm64'] }))).toEqual(literal('arm64'));
  });
  it('uses SAM Globals.Function.Architectures when the SAM function has none', () => {
    const globals = { Function: { Architectures: ['arm64'] } };
    expect(choose(samFunction('a'), globals)).toEqual(literal('arm64'));
  });
  it('concatenates SAM Globals and resource lists as the SAM translator does, so two entries are refused', () => {
    // The SAM translator merges list-valued Globals into the resource's list; Lambda then sees two entries.
    const globals = { Function: { Architectures: ['arm64'] } };
    const attempt = () => choose(samFunction('a', { architectures: ['x86_64'] }), globals);
    expect(attempt).toThrow(InvalidArchitectureError);
    expect(attempt).toThrow(/Globals\.Function\.Architectures \+ Architectures .*2 entries/);
  });
  it('lets a SAM function intrinsic replace a Globals list, as the SAM translator does', () => {
    const globals = { Function: { Architectures: ['arm64'] } };
    expect(choose(samFunction('a', { architectures: ref('ArchList') }), globals, { ArchList: ['x86_64'] })).toEqual(
      followed({ 'Fn::Select': [0, ref('ArchList')] }, 'x86_64'),
    );
  });
  it.each<[string, Json, string]>([
    ["'*'", '*', 'x86_64'],
    ['a list naming Architectures', ['Runtime', 'Architectures'], 'x86_64'],
    ['a list naming other properties', ['Runtime', 'Handler'], 'arm64'],
  ])('applies SAM IgnoreGlobals given as %s, as the SAM translator does', (_case, ignore, architecture) => {
    const globals = { Function: { Architectures: ['arm64'] } };
    const resource = { ...samFunction('a'), IgnoreGlobals: ignore };
    expect(choose(resource, globals)).toEqual(literal(architecture));
    // With the Global off, the function's own Architectures are all there is (no concatenation).
    if (architecture === 'x86_64') expect(choose({ ...samFunction('a', { architectures: ['arm64'] }), IgnoreGlobals: ignore }, globals)).toEqual(literal('arm64'));
  });
  it('ignores SAM Globals for AWS::Lambda::Function', () => {
    expect(choose(lambdaFunction('a'), { Function: { Architectures: ['arm64'] } })).toEqual(literal('x86_64'));
  });
  it('resolves intrinsics like images, keeping the expression so that the mirror follows deploy-time values', () => {
    expect(choose(lambdaFunction('a', { architectures: [ref('Arch')] }))).toEqual(followed(ref('Arch'), 'arm64'));
    expect(choose(lambdaFunction('a', { architectures: ref('ArchList') }))).toEqual(followed({ 'Fn::Select': [0, ref('ArchList')] }, 'arm64'));
    expect(choose(lambdaFunction('a', { architectures: ref('ArchList') }), undefined, { ArchList: ['x86_64'] })).toEqual(
      followed({ 'Fn::Select': [0, ref('ArchList')] }, 'x86_64'),
    );
    expect(choose(lambdaFunction('a', { architectures: ifThen('UseArm', ['arm64'], NO_VALUE) }), undefined, { Arch: 'x' })).toEqual(
      followed(ifThen('UseArm', 'arm64', 'x86_64'), 'x86_64'),
    );
  });
  it('keeps a known Fn::If to the branch taken when the other branch is not a valid architecture', () => {
    expect(choose(lambdaFunction('a', { architectures: ifThen('UseArm', ['ppc'], ['arm64']) }), undefined, { Arch: 'x' })).toEqual(literal('arm64'));
  });
  it('passes the element expression of [<expr>] when it is known only at deploy time', () => {
    expect(choose(lambdaFunction('a', { architectures: [ref('UnknownOne')] }))).toEqual(expression(ref('UnknownOne')));
  });
  it('selects element 0 of an intrinsic yielding the whole list', () => {
    expect(choose(lambdaFunction('a', { architectures: ref('Unknown') }))).toEqual(expression({ 'Fn::Select': [0, ref('Unknown')] }));
  });
  it('keeps an unknown Fn::If per branch, with AWS::NoValue as the default', () => {
    expect(choose(lambdaFunction('a', { architectures: ifThen('Later', ['arm64'], NO_VALUE) }))).toEqual(expression(ifThen('Later', 'arm64', 'x86_64')));
    expect(choose(lambdaFunction('a', { architectures: ifThen('Later', ['arm64'], ['arm64']) }))).toEqual(literal('arm64'));
  });
  it.each<[string, Json, RegExp]>([
    ['an unknown architecture', ['ppc'], /"ppc" is not one of x86_64, arm64/],
    ['two entries', ['x86_64', 'arm64'], /2 entries/],
    ['an empty list', [], /empty/],
    ['a plain string', 'arm64', /must be a list/],
    ['a parameter with two entries', ref('Unknown'), /2 entries/],
    ['two deploy-time entries', [ref('UnknownOne'), ref('UnknownOne')], /2 entries/],
  ])('refuses %s, naming the resource', (_, architectures, reason) => {
    const values = { Unknown: 'x86_64,arm64' };
    const attempt = () => choose(lambdaFunction('a', { architectures }), undefined, values);
    expect(attempt).toThrow(InvalidArchitectureError);
    expect(attempt).toThrow(/^Resource F: Architectures /);
    expect(attempt).toThrow(reason);
  });
  it('names Globals when the bad value comes from there', () => {
    expect(() => choose(samFunction('a'), { Function: { Architectures: ['ppc'] } })).toThrow(/Resource F: Globals\.Function\.Architectures/);
  });
});

describe('Function: chooseArchitecture, Fn::If and lists with removed members', () => {
  const PARAMETERS: JsonObject = { Arch: { Type: 'String', Default: 'arm64' }, One: { Type: 'String' }, Other: { Type: 'String' } };
  const CONDITIONS: JsonObject = { UseArm: equals(ref('Arch'), 'arm64'), Later: equals(ref('AWS::StackName'), 'x') };
  const MAPPINGS: JsonObject = { Archs: { [REGION]: { List: ['arm64'] } } };
  function choose(architectures: Json, values: JsonObject = {}) {
    const t = template({ F: lambdaFunction('a', { architectures }) }, { Parameters: PARAMETERS, Conditions: CONDITIONS, Mappings: MAPPINGS });
    const [site] = findImageSites(t);
    return chooseArchitecture(site!, architectureSource(site!, t), createResolver(t, context({ templateParameterValues: values })));
  }
  const DEPLOY_TIME = (e: Json) => ({ kind: 'expression', expression: { 'Fn::Select': [0, e] } });

  it('follows a known condition with both branches valid, resolved to the branch taken', () => {
    const both = ifThen('UseArm', ['arm64'], ['x86_64']);
    expect(choose(both)).toEqual({ kind: 'expression', expression: ifThen('UseArm', 'arm64', 'x86_64'), resolved: 'arm64' });
    expect(choose(both, { Arch: 'x' })).toEqual({ kind: 'expression', expression: ifThen('UseArm', 'arm64', 'x86_64'), resolved: 'x86_64' });
  });
  it('resolves a known condition to the value of a branch that is itself an expression', () => {
    expect(choose(ifThen('UseArm', [ref('Arch')], ['x86_64']))).toEqual({ kind: 'expression', expression: ifThen('UseArm', ref('Arch'), 'x86_64'), resolved: 'arm64' });
  });
  it('keeps an unknown condition over two deploy-time branches as it is', () => {
    expect(choose(ifThen('Later', [ref('One')], [ref('Other')]))).toEqual({ kind: 'expression', expression: ifThen('Later', ref('One'), ref('Other')) });
    expect(choose(ifThen('Later', [ref('One')], ['arm64']))).toEqual({ kind: 'expression', expression: ifThen('Later', ref('One'), 'arm64') });
  });
  it('reads another intrinsic of three arguments as that intrinsic, not as a condition', () => {
    const mapped = { 'Fn::FindInMap': ['Archs', ref('AWS::Region'), 'List'] };
    expect(choose(mapped)).toEqual({ kind: 'expression', expression: { 'Fn::Select': [0, mapped] }, resolved: 'arm64' });
  });
  it.each<[string, Json]>([
    ['two arguments', { 'Fn::If': ['UseArm', ['arm64']] }],
    ['a condition that is not a name', { 'Fn::If': [1, ['arm64'], ['arm64']] }],
    ['a string', { 'Fn::If': 'abc' }],
  ])('leaves a malformed Fn::If (%s) to CloudFormation, which refuses it', (_case, malformed) => {
    expect(choose(malformed)).toEqual(DEPLOY_TIME(malformed));
  });
  it('selects from a list whose removed members leave one architecture, as CloudFormation does', () => {
    // One member or the other is removed whatever UseArm is: the first member left is the architecture.
    const list = [ifThen('UseArm', 'arm64', NO_VALUE), ifThen('UseArm', NO_VALUE, 'x86_64')];
    expect(choose(list)).toEqual({ kind: 'expression', expression: { 'Fn::Select': [0, list] }, resolved: 'arm64' });
    expect(choose([NO_VALUE, 'arm64'])).toEqual({ kind: 'expression', expression: { 'Fn::Select': [0, [NO_VALUE, 'arm64']] }, resolved: 'arm64' });
  });
});
