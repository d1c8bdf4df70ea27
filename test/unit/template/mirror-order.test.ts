// A mirror waits for what its sites wait for and exists only when one of its sites can use it. The two reproductions
// from issue 18: aws-cdk's integration snapshot aws-cdk-lambda-image (the function DependsOn the custom resource that
// pushes its image) and dynatrace-oss/dynatrace-aws-s3-log-forwarder (`!If [UseImage, !Ref ContainerImageUri,
// !Ref AWS::NoValue]`).
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { JsonObject } from '../../../src/template/types.js';
import {
  context,
  defaults,
  equals,
  expectedMirrorId,
  expectFailure,
  expectSuccess,
  getAtt,
  ifThen,
  imageOf,
  lambdaFunction,
  mirrorRef,
  NO_VALUE,
  onlyMirror,
  QUAY_IMAGE,
  ref,
  stringParameter,
  sub,
  template,
} from './fixtures.js';

const run = (input: JsonObject) => transform(input, context(), defaults());

describe('Mirror order: DependsOn', () => {
  const push = {
    Type: 'Custom::CopyImage',
    Properties: { ServiceToken: 'arn:aws:lambda:ap-northeast-1:123456789012:function:copy', Target: getAtt('Repo', 'RepositoryUri') },
  };
  const cdk = (fn: JsonObject) => template({ Repo: { Type: 'AWS::ECR::Repository' }, Push: push, Fn: fn });

  it('waits for the resource that pushes the image (aws-cdk-lambda-image; before: no DependsOn)', () => {
    const { fragment } = expectSuccess(run(cdk({ ...lambdaFunction(sub('${Repo.RepositoryUri}:v1')), DependsOn: 'Push' })));
    const [id, mirror] = onlyMirror(fragment);
    expect(mirror.DependsOn).toEqual(['Push']);
    expect(Object.keys(mirror)).toEqual(['Type', 'DependsOn', 'Properties']);
    expect(imageOf(fragment, 'Fn')).toEqual(mirrorRef(id));
  });

  it('merges the DependsOn of every site, once each, in template order', () => {
    const input = template({
      A: { Type: 'AWS::SNS::Topic' },
      B: { Type: 'AWS::SNS::Topic' },
      C: { Type: 'AWS::SNS::Topic' },
      F1: { ...lambdaFunction(QUAY_IMAGE), DependsOn: ['B', 'A'] },
      F2: { ...lambdaFunction(QUAY_IMAGE), DependsOn: ['A', 'C'] },
    });
    expect(onlyMirror(expectSuccess(run(input)).fragment)[1].DependsOn).toEqual(['B', 'A', 'C']);
  });

  it('does not wait for a resource that reads the mirror (a site that DependsOn another site): no cycle, a warning', () => {
    const input = template({ F1: lambdaFunction(QUAY_IMAGE), F2: { ...lambdaFunction(QUAY_IMAGE), DependsOn: 'F1' } });
    const result = expectSuccess(run(input));
    const [id, mirror] = onlyMirror(result.fragment);
    expect(mirror.DependsOn).toBeUndefined();
    expect(result.warnings).toEqual([{ logicalId: 'F2', message: expect.stringContaining(`Resource F2: it waits for F1 (DependsOn), but its image mirror ${id}`) }]);
    expect(result.warnings[0]!.message).toContain('F1 reads that mirror itself (directly or through other resources), so waiting for it would be a circular dependency');
  });

  it('does not wait through a chain of references back to itself', () => {
    const input = template({
      F1: lambdaFunction(QUAY_IMAGE),
      Alias: { Type: 'AWS::Lambda::Alias', Properties: { FunctionName: ref('F1'), FunctionVersion: '1', Name: 'live' } },
      F2: { ...lambdaFunction(QUAY_IMAGE), DependsOn: 'Alias' },
    });
    const result = expectSuccess(run(input));
    expect(onlyMirror(result.fragment)[1].DependsOn).toBeUndefined();
    expect(result.warnings.map((w) => w.logicalId)).toEqual(['F2']);
  });

  it("counts a wait it accepted for one mirror when it decides the next (the graph a search reads includes the first mirror's DependsOn)", () => {
    // F1 (image A) waits for X, which reads F3 (image B); F2 (image B) waits for Y, which reads F4 (image A, waiting for
    // nothing). The mirror of A may wait for X; the mirror of B may not wait for Y: Y -> F4 -> mirror A -> X -> F3 ->
    // mirror B would be a cycle, and only through the wait just accepted.
    const topic = (reads: string) => ({ Type: 'AWS::SNS::Topic', Properties: { DisplayName: getAtt(reads, 'Arn') } });
    const input = template({
      X: topic('F3'),
      Y: topic('F4'),
      F1: { ...lambdaFunction(QUAY_IMAGE), DependsOn: 'X' },
      F2: { ...lambdaFunction('nginx:1.27'), DependsOn: 'Y' },
      F3: lambdaFunction('nginx:1.27'),
      F4: lambdaFunction(QUAY_IMAGE),
    });
    const result = expectSuccess(run(input));
    const resources = result.fragment.Resources as JsonObject;
    const [a, b] = [expectedMirrorId(QUAY_IMAGE, 'x86_64'), expectedMirrorId('docker.io/library/nginx:1.27', 'x86_64')];
    expect((resources[a] as JsonObject).DependsOn).toEqual(['X']);
    expect((resources[b] as JsonObject).DependsOn).toBeUndefined();
    expect(result.warnings).toEqual([{ logicalId: 'F2', message: expect.stringContaining(`Resource F2: it waits for Y (DependsOn), but its image mirror ${b}`) }]);
    expect(result.warnings[0]!.message).toContain('circular dependency');
  });

  it('does not wait for a resource whose Condition the mirror does not imply', () => {
    const conditions = { Conditions: { Prod: equals(ref('AWS::StackName'), 'prod') } };
    const input = template({ Topic: { Type: 'AWS::SNS::Topic', Condition: 'Prod' }, F: { ...lambdaFunction(QUAY_IMAGE), DependsOn: 'Topic' } }, conditions);
    const result = expectSuccess(run(input));
    expect(onlyMirror(result.fragment)[1].DependsOn).toBeUndefined();
    expect(result.warnings[0]!.message).toContain('Topic has Condition Prod, and the mirror may exist when Topic does not');
    // The same resource under the same Condition as every site: waited for.
    const both = template(
      { Topic: { Type: 'AWS::SNS::Topic', Condition: 'Prod' }, F: { ...lambdaFunction(QUAY_IMAGE, { condition: 'Prod' }), DependsOn: 'Topic' } },
      conditions,
    );
    expect(onlyMirror(expectSuccess(run(both)).fragment)[1].DependsOn).toEqual(['Topic']);
  });
});

describe('Mirror order: Condition', () => {
  const dynatrace = (image: unknown = ifThen('UseImage', ref('ContainerImageUri'), NO_VALUE)) =>
    template(
      { Fn: lambdaFunction(image as JsonObject) },
      { Parameters: { ContainerImageUri: stringParameter() }, Conditions: { UseImage: { 'Fn::Not': [equals(ref('ContainerImageUri'), '')] } } },
    );

  it('exists only when the Fn::If keeps the image (dynatrace; before: unconditional, failing without SourceImage)', () => {
    const { fragment } = expectSuccess(run(dynatrace()));
    const [id, mirror] = onlyMirror(fragment);
    expect(mirror.Condition).toBe('UseImage');
    // The site reads the mirror only in the branch where it exists.
    expect(imageOf(fragment, 'Fn')).toEqual(ifThen('UseImage', mirrorRef(id), NO_VALUE));
    expect(fragment.Conditions).toEqual(dynatrace().Conditions);
  });

  it('with no image under the values known now, still has the mirror the site needs under other values (the CLI with Defaults)', () => {
    // ContainerImageUri defaults to '': UseImage is false here, but a deployment may give an image.
    const { fragment, sites } = expectSuccess(run(dynatrace()));
    const [id, mirror] = onlyMirror(fragment);
    expect(mirror.Condition).toBe('UseImage');
    expect(sites).toEqual([expect.objectContaining({ logicalId: 'Fn', verdict: 'deploy-time', mirrorLogicalId: id })]);
    // With the value given, the same mirror: the output does not depend on the values known now.
    const given = expectSuccess(transform(dynatrace(), context({ templateParameterValues: { ContainerImageUri: QUAY_IMAGE } }), defaults()));
    expect(given.fragment).toEqual(fragment);
  });

  it('keeps a site whose image is removed under a condition no deployment can change', () => {
    const input = template({ Fn: lambdaFunction(ifThen('Never', QUAY_IMAGE, NO_VALUE)) }, { Conditions: { Never: equals('a', 'b') } });
    const { fragment, sites } = expectSuccess(run(input));
    expect(fragment).toEqual(input);
    expect(sites[0]!.verdict).toBe('keep');
  });

  it('with the value on the false branch, exists when the condition is false', () => {
    const { fragment } = expectSuccess(run(dynatrace(ifThen('UseImage', NO_VALUE, QUAY_IMAGE))));
    const [id, mirror] = onlyMirror(fragment);
    expect(mirror.Condition).toBe(`${id}Needed`);
    expect((fragment.Conditions as JsonObject)[`${id}Needed`]).toEqual({ 'Fn::Not': [{ Condition: 'UseImage' }] });
  });

  it('combines nested Fn::Ifs and the resource Condition', () => {
    const input = template(
      { Fn: lambdaFunction(ifThen('A', ifThen('B', QUAY_IMAGE, NO_VALUE), NO_VALUE), { condition: 'C' }) },
      { Conditions: { A: equals('a', 'a'), B: equals('b', 'b'), C: equals('c', 'c') } },
    );
    const { fragment } = expectSuccess(transform(input, context(), defaults()));
    const [id, mirror] = onlyMirror(fragment);
    expect((fragment.Conditions as JsonObject)[mirror.Condition as string]).toEqual({ 'Fn::And': [{ Condition: 'C' }, { Condition: 'A' }, { Condition: 'B' }] });
    expect(imageOf(fragment, 'Fn')).toEqual(ifThen('A', ifThen('B', mirrorRef(id), NO_VALUE), NO_VALUE));
  });

  it('mirrors for a function that is a Zip function under the values known now but an image function under others', () => {
    const input = template(
      { Fn: lambdaFunction(QUAY_IMAGE, { properties: { PackageType: ifThen('UseImage', 'Image', 'Zip') } }) },
      { Parameters: { Mode: stringParameter('zip') }, Conditions: { UseImage: equals(ref('Mode'), 'image') } },
    );
    const { fragment, sites } = expectSuccess(run(input));
    const [id, mirror] = onlyMirror(fragment);
    expect(mirror.Condition).toBe('UseImage');
    // A literal image is checked and named as always (the same mirror as an unconditional site of that image).
    expect(id).toBe(expectedMirrorId(QUAY_IMAGE, 'x86_64'));
    expect(sites[0]!).toMatchObject({ verdict: 'mirror', image: QUAY_IMAGE });
  });

  it('follows an Fn::If PackageType: no mirror where the function is a Zip function', () => {
    const input = template(
      { Fn: lambdaFunction(ref('Image'), { properties: { PackageType: ifThen('UseImage', 'Image', 'Zip') } }) },
      { Parameters: { Image: stringParameter(QUAY_IMAGE) }, Conditions: { UseImage: equals(ref('AWS::StackName'), 'x') } },
    );
    expect(onlyMirror(expectSuccess(run(input)).fragment)[1].Condition).toBe('UseImage');
  });

  it('groups more than ten site Conditions into nested Fn::Or of at most ten', () => {
    const names = Array.from({ length: 23 }, (_, i) => `C${i}`);
    const resources = Object.fromEntries(names.map((name) => [`F${name}`, lambdaFunction(QUAY_IMAGE, { condition: name })]));
    const input = template(resources, { Conditions: Object.fromEntries(names.map((name) => [name, equals(name, 'x')])) });
    const { fragment } = expectSuccess(run(input));
    const [id] = onlyMirror(fragment);
    const body = (fragment.Conditions as JsonObject)[`${id}Needed`] as JsonObject;
    const groups = body['Fn::Or'] as JsonObject[];
    expect(groups).toHaveLength(3);
    expect(groups.map((group) => (group['Fn::Or'] as unknown[]).length)).toEqual([10, 10, 3]);
  });

  it('refuses a Conditions entry that already holds another condition under the mirror condition name', () => {
    const input = template(
      { A: lambdaFunction(QUAY_IMAGE, { condition: 'P' }), B: lambdaFunction(QUAY_IMAGE, { condition: 'Q' }) },
      { Conditions: { P: equals('p', 'p'), Q: equals('q', 'q') } },
    );
    const [id] = onlyMirror(expectSuccess(run(input)).fragment);
    const taken = { ...input, Conditions: { ...(input.Conditions as JsonObject), [`${id}Needed`]: equals('x', 'y') } };
    expect(expectFailure(run(taken))[0]!.message).toBe(
      `Template: condition ${id}Needed is taken, but image mirror ${id} (quay.io/sysdig/serverless-patcher:5.0.1, "x86_64") (for A, B) needs that name for when it exists; rename the condition`,
    );
  });

  it('is idempotent: the output transformed again is the same', () => {
    const input = template(
      {
        Push: { Type: 'AWS::SNS::Topic' },
        A: { ...lambdaFunction(ifThen('P', QUAY_IMAGE, NO_VALUE), { condition: 'Q' }), DependsOn: 'Push' },
        B: lambdaFunction(QUAY_IMAGE, { condition: 'R' }),
      },
      { Conditions: { P: equals('p', 'p'), Q: equals('q', 'q'), R: equals('r', 'r') } },
    );
    const once = expectSuccess(run(input)).fragment;
    expect(JSON.stringify(expectSuccess(run(once)).fragment)).toBe(JSON.stringify(once));
  });
});
