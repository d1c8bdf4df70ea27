// How each option value is read, at its edges, and how the problems of one block are said: what a user who wrote
// the option reads back, and which mirror CloudFormation gets.
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject, TransformDefaults } from '../../../src/template/types.js';
import { context, defaults, expectFailure, expectSuccess, lambdaFunction, mirrorsOf, onlyMirror, QUAY_IMAGE, ref, stringParameter, template } from './fixtures.js';

const RESOURCE_KEYS = 'allowed keys: Skip, RepositoryPrefix, Architecture, ServiceTimeout, Refresh';
const TEMPLATE_KEYS = 'allowed keys: RepositoryPrefix, Architecture, ServiceTimeout, MirrorParameters, Ecs, Platforms, Refresh';
const TASK_KEYS = 'allowed keys: Skip, RepositoryPrefix, Architecture, ServiceTimeout, Ecs, Platforms, Refresh';

const withResourceOptions = (options: Json) => template({ F: lambdaFunction(QUAY_IMAGE, { options }) });
const run = (input: JsonObject, macro: Partial<TransformDefaults> = {}) => transform(input, context(), defaults(macro));
const messages = (input: JsonObject, macro: Partial<TransformDefaults> = {}) => expectFailure(run(input, macro)).map((problem) => problem.message);
const mirrorProperties = (input: JsonObject, macro: Partial<TransformDefaults> = {}) => onlyMirror(expectSuccess(run(input, macro)).fragment)[1].Properties as JsonObject;

describe('ServiceTimeout: a whole number of seconds from 1 to 3600, or its digits', () => {
  it.each<[Json, number]>([
    [1, 1],
    [3600, 3600],
    ['3600', 3600],
    ['0000600', 600],
  ])('takes %j', (value, seconds) => {
    expect(mirrorProperties(withResourceOptions({ ServiceTimeout: value })).ServiceTimeout).toBe(seconds);
  });

  it.each<Json>(['00000600', ' 600', '600 ', '6e2', '0x10', '', '1.0', 3601, '3601', 0, '0', true, null, ['600']])('refuses %j', (value) => {
    expect(messages(withResourceOptions({ ServiceTimeout: value }))).toEqual([
      `Resource F: option Metadata.SysdigImageFix.ServiceTimeout ${JSON.stringify(value)} is not valid; allowed values: an integer from 1 to 3600 (seconds; a number or a numeric string)`,
    ]);
  });

  it('the macro default takes the same values', () => {
    expect(mirrorProperties(template({ F: lambdaFunction(QUAY_IMAGE) }), { serviceTimeout: '3600' as unknown as number }).ServiceTimeout).toBe(3600);
    expect(messages(template({ F: lambdaFunction(QUAY_IMAGE) }), { serviceTimeout: '0x10' as unknown as number })).toEqual([
      'Macro configuration: SERVICE_TIMEOUT "0x10" is not an integer from 1 to 3600 (seconds; a number or a numeric string)',
    ]);
  });
});

describe('true/false options', () => {
  it.each<Json>(['True', 'FALSE', 0, 1, 'yes', null, []])('refuse %j', (value) => {
    expect(messages(withResourceOptions({ Refresh: value }))).toEqual([
      `Resource F: option Metadata.SysdigImageFix.Refresh ${JSON.stringify(value)} is not valid; allowed values: true, false`,
    ]);
  });

  it('Skip: false and "false" mirror; true and "true" skip', () => {
    for (const value of [false, 'false']) expect(Object.keys(mirrorsOf(expectSuccess(run(withResourceOptions({ Skip: value }))).fragment))).toHaveLength(1);
    for (const value of [true, 'true']) expect(mirrorsOf(expectSuccess(run(withResourceOptions({ Skip: value }))).fragment)).toEqual({});
  });
});

describe('RepositoryPrefix', () => {
  it('says what it is instead, and what is allowed', () => {
    expect(messages(withResourceOptions({ RepositoryPrefix: 7 }))).toEqual([
      'Resource F: option Metadata.SysdigImageFix.RepositoryPrefix 7 is not valid: it is not a string; allowed values: a private ECR repository name prefix such as sysdig-image-fix',
    ]);
    expect(messages(withResourceOptions({ RepositoryPrefix: '' }))[0]).toMatch(
      /^Resource F: option Metadata\.SysdigImageFix\.RepositoryPrefix "" is not valid: it must not be empty; allowed values: a private ECR repository name prefix such as sysdig-image-fix$/,
    );
  });

  it('says how long a prefix may be', () => {
    expect(messages(withResourceOptions({ RepositoryPrefix: 'a'.repeat(201) }))).toEqual([
      `Resource F: option Metadata.SysdigImageFix.RepositoryPrefix "${'a'.repeat(200)}…" is not valid: it is 201 characters; keep it to at most 200 so image ` +
        "paths fit ECR's 256; allowed values: a private ECR repository name prefix such as sysdig-image-fix",
    ]);
  });

  it('a macro default that is not a string is refused, and the built-in prefix used meanwhile', () => {
    expect(messages(template({ F: lambdaFunction(QUAY_IMAGE) }), { repositoryPrefix: 7 as unknown as string })).toEqual([
      'Macro configuration: REPOSITORY_PREFIX 7 is not a string',
    ]);
  });
});

describe('one block with several problems', () => {
  it('says every unknown key in one problem, where the first one was, and the bad values in order', () => {
    const options = { Architecture: 'ppc', Colour: 'blue', ServiceTimeout: 0, Size: 1, toString: 1, constructor: 2 };
    expect(messages(withResourceOptions(options))).toEqual([
      'Resource F: option Metadata.SysdigImageFix.Architecture "ppc" is not valid; allowed values: x86_64, arm64',
      `Resource F: unknown options "Colour", "Size", "toString", "constructor" in Metadata.SysdigImageFix; ${RESOURCE_KEYS}`,
      'Resource F: option Metadata.SysdigImageFix.ServiceTimeout 0 is not valid; allowed values: an integer from 1 to 3600 (seconds; a number or a numeric string)',
    ]);
  });

  it('the template block says the template keys', () => {
    expect(messages(template({ F: lambdaFunction(QUAY_IMAGE) }, { Metadata: { SysdigImageFix: { Colour: 1, Size: 2 } } }))).toEqual([
      `template Metadata: unknown options "Colour", "Size" in Metadata.SysdigImageFix; ${TEMPLATE_KEYS}`,
    ]);
  });

  it('an unknown key first comes first', () => {
    expect(messages(withResourceOptions({ Colour: 'blue', Architecture: 'ppc' }))).toEqual([
      `Resource F: unknown option "Colour" in Metadata.SysdigImageFix; ${RESOURCE_KEYS}`,
      'Resource F: option Metadata.SysdigImageFix.Architecture "ppc" is not valid; allowed values: x86_64, arm64',
    ]);
  });

  it('cuts a long unknown key, and names ten of many', () => {
    const long = `K${'k'.repeat(100)}`;
    const keys = [long, ...Array.from({ length: 11 }, (_, i) => `U${i}`)];
    const [message] = messages(withResourceOptions(Object.fromEntries(keys.map((key) => [key, 1]))));
    expect(message).toBe(
      `Resource F: unknown options "${long.slice(0, 64)}…", "U0", "U1", "U2", "U3", "U4", "U5", "U6", "U7", "U8" and 2 more in Metadata.SysdigImageFix; ${RESOURCE_KEYS}`,
    );
  });

  it('shows a value of up to 200 characters whole, and a longer one cut there', () => {
    const exactly = { a: 'x'.repeat(192) };
    expect(JSON.stringify(exactly)).toHaveLength(200);
    expect(messages(withResourceOptions({ Architecture: exactly }))).toEqual([
      `Resource F: option Metadata.SysdigImageFix.Architecture ${JSON.stringify(exactly)} is not valid; allowed values: x86_64, arm64`,
    ]);
    const longer = { a: 'x'.repeat(193) };
    expect(messages(withResourceOptions({ Architecture: longer }))).toEqual([
      `Resource F: option Metadata.SysdigImageFix.Architecture ${JSON.stringify(longer).slice(0, 200)}… is not valid; allowed values: x86_64, arm64`,
    ]);
  });

  it('shows a long string value quoted, cut inside the quotes', () => {
    expect(messages(withResourceOptions({ Architecture: 'x'.repeat(300) }))).toEqual([
      `Resource F: option Metadata.SysdigImageFix.Architecture "${'x'.repeat(200)}…" is not valid; allowed values: x86_64, arm64`,
    ]);
  });

  it('the keys of a task definition block', () => {
    const task = { Type: 'AWS::ECS::TaskDefinition', Metadata: { SysdigImageFix: { MirrorParameters: ['X'] } }, Properties: { ContainerDefinitions: [] } };
    expect(messages(template({ T: task }))).toEqual([
      `Resource T: unknown option "MirrorParameters" in Metadata.SysdigImageFix (MirrorParameters belongs in the template Metadata or the Transform parameters); ${TASK_KEYS}`,
    ]);
  });
});

describe('MirrorParameters entries', () => {
  const withParameters = (names: Json) =>
    template(
      { C: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: ref('Agent') } } },
      {
        Parameters: { Agent: stringParameter('quay.io/org/agent:1') },
        Metadata: { SysdigImageFix: { MirrorParameters: names } },
      },
    );
  const allowed = 'allowed values: a list of names of String parameters of this template, each a name or {Name: <parameter>, Architecture: x86_64 | arm64}';

  it.each<[Json, string]>([
    [[{ Name: 5 }], '{"Name":5} has no Name (the parameter\'s name)'],
    [[{ Name: '' }], '{"Name":""} has no Name (the parameter\'s name)'],
    [[{ Ref: 'Agent' }], '{"Ref":"Agent"} is not a parameter name (write the parameter\'s name itself)'],
    [[null], 'null is not a parameter name'],
    [[['Agent']], '["Agent"] is not a parameter name'],
  ])('refuses %j, saying why', (names, why) => {
    expect(messages(withParameters(names))).toEqual([
      `template Metadata: option Metadata.SysdigImageFix.MirrorParameters ${JSON.stringify(names)} is not valid: ${why}; ${allowed}`,
    ]);
  });

  it('a name given twice, the same way, is one mirror', () => {
    const twice = expectSuccess(run(withParameters(['Agent', { Name: 'Agent' }])));
    expect(Object.keys(mirrorsOf(twice.fragment))).toHaveLength(1);
    const arm = expectSuccess(
      run(
        withParameters([
          { Name: 'Agent', Architecture: 'arm64' },
          { Name: 'Agent', Architecture: 'arm64' },
        ]),
      ),
    );
    expect(Object.values(mirrorsOf(arm.fragment)).map((mirror) => (mirror.Properties as JsonObject).Architecture)).toEqual(['arm64']);
  });
});
