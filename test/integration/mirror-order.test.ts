// Mirrors with DependsOn and Conditions, checked by the tools that define what a template means: cfn-lint must find
// nothing in the output that it does not find in the input (no cycle, no reference to a resource that may not exist,
// no Condition it cannot read), and the SAM translator must give the same mirrors in both transform orders.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../src/cli/cfn-yaml.js';
import { createMacroHandler } from '../../src/macro/handler.js';
import { transform } from '../../src/template/transform.js';
import type { JsonObject } from '../../src/template/types.js';
import { findingKey, type LintFinding, lintTemplates } from '../support/cfn-lint.js';
import { samTranslate } from '../support/sam.js';
import { haveTools, TOOLS } from '../support/tools.js';
import { reachable } from '../unit/template/mirror-order.arbitraries.js';
import { TOOL_TEST_TIMEOUT_MS } from '../support/timeouts.js';

const REGION = 'eu-west-1';
const ACCOUNT = '123456789012';
const MIRROR_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:sysdig-image-fix-mirror`;
const SAM = 'AWS::Serverless-2016-10-31';

function transformed(input: JsonObject): JsonObject {
  const result = transform(input, { region: REGION, accountId: ACCOUNT, templateParameterValues: {} }, { mirrorFunctionArn: MIRROR_ARN });
  if (!result.ok) throw new Error(`transform failed: ${result.errors.map((e) => e.message).join('; ')}`);
  return result.fragment;
}

/** The two reproductions of issue 18, as YAML a user writes. */
const REPRODUCTIONS: Record<string, string> = {
  'aws-cdk-lambda-image': `
Resources:
  Repo: {Type: AWS::ECR::Repository}
  Push:
    Type: Custom::CopyImage
    Properties: {ServiceToken: !Sub 'arn:aws:lambda:\${AWS::Region}:\${AWS::AccountId}:function:copy', Target: !GetAtt Repo.RepositoryUri}
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}]}}
  Fn:
    Type: AWS::Lambda::Function
    DependsOn: Push
    Properties: {PackageType: Image, Role: !GetAtt Role.Arn, Code: {ImageUri: !Sub '\${Repo.RepositoryUri}:v1'}}
`,
  'dynatrace-aws-s3-log-forwarder': `
Parameters:
  ContainerImageUri: {Type: String, Default: ''}
Conditions:
  UseImage: !Not [!Equals [!Ref ContainerImageUri, '']]
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties: {AssumeRolePolicyDocument: {Version: '2012-10-17', Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: 'sts:AssumeRole'}]}}
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      PackageType: Image
      Role: !GetAtt Role.Arn
      Code: {ImageUri: !If [UseImage, !Ref ContainerImageUri, !Ref AWS::NoValue]}
`,
};

describe.skipIf(!haveTools(TOOLS.cfnLint))('mirror order and conditions: cfn-lint', () => {
  const inputs: Record<string, JsonObject> = Object.fromEntries(Object.entries(REPRODUCTIONS).map(([name, text]) => [name, parseCfnYaml(text) as JsonObject]));
  // A fixed sample of the property tests' templates (seeded: the same templates every run).
  fc.sample(reachable, { numRuns: 40, seed: 18 }).forEach((template, index) => {
    inputs[`generated-${index}`] = template;
  });
  const outputs: Record<string, JsonObject> = Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, transformed(input)]));
  let before: Map<string, string[]>;
  let after: Map<string, string[]>;

  beforeAll(async () => {
    const keys = (findings: Map<string, LintFinding[]>) =>
      new Map([...findings].map(([name, list]) => [name, list.map((finding) => `${findingKey(finding)} (${finding.message})`)]));
    [before, after] = (await Promise.all([lintTemplates(inputs, { region: REGION }), lintTemplates(outputs, { region: REGION })])).map(keys) as [
      Map<string, string[]>,
      Map<string, string[]>,
    ];
  }, TOOL_TEST_TIMEOUT_MS);

  it('the reproductions get their DependsOn and Condition', () => {
    const cdk = outputs['aws-cdk-lambda-image']!.Resources as JsonObject;
    expect(Object.values(cdk).find((r) => (r as JsonObject).Type === 'Custom::ImageMirror')).toMatchObject({ DependsOn: ['Push'] });
    const dynatrace = outputs['dynatrace-aws-s3-log-forwarder']!.Resources as JsonObject;
    expect(Object.values(dynatrace).find((r) => (r as JsonObject).Type === 'Custom::ImageMirror')).toMatchObject({ Condition: 'UseImage' });
  });

  it.each(Object.keys(inputs))('%s: the output has no finding the input does not have', (name) => {
    const known = new Set(before.get(name));
    // Findings on rewritten sites keep their rule and path; anything about a mirror or its condition is new.
    expect(after.get(name)!.filter((finding) => !known.has(finding))).toEqual([]);
  });
});

/** A SAM template with DependsOn, Conditions and an Fn::If/AWS::NoValue image. */
const SAM_TEMPLATE = `
Parameters:
  AgentImage: {Type: String, Default: ''}
  Stage: {Type: String, Default: dev}
Conditions:
  UseAgent: !Not [!Equals [!Ref AgentImage, '']]
  IsProd: !Equals [!Ref Stage, prod]
Resources:
  Queue: {Type: AWS::SQS::Queue}
  Worker:
    Type: AWS::Serverless::Function
    DependsOn: Queue
    Properties: {PackageType: Image, ImageUri: quay.io/org/worker:1}
  ProdWorker:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties: {PackageType: Image, ImageUri: quay.io/org/worker:1, Architectures: [x86_64]}
  Agent:
    Type: AWS::Serverless::Function
    Properties: {PackageType: Image, ImageUri: !If [UseAgent, !Ref AgentImage, quay.io/org/agent:1]}
  Optional:
    Type: AWS::Serverless::Function
    Condition: IsProd
    Properties: {PackageType: Image, ImageUri: !If [UseAgent, !Ref AgentImage, !Ref AWS::NoValue], ImageConfig: {Command: [run]}}
`;

describe.skipIf(!haveTools(TOOLS.samTranslator) || !haveTools(TOOLS.cfnLint))('mirror order and conditions: the SAM translator, both orders', () => {
  const template = parseCfnYaml(SAM_TEMPLATE) as JsonObject;
  const results: Record<'macroThenSam' | 'samThenMacro', JsonObject> = { macroThenSam: {}, samThenMacro: {} };
  const handler = createMacroHandler({ env: () => ({ MIRROR_FUNCTION_ARN: MIRROR_ARN }), log: { info: () => {}, warn: () => {}, error: () => {} } });
  const runMacro = async (fragment: JsonObject): Promise<JsonObject> => {
    const response = await handler({
      region: REGION,
      accountId: ACCOUNT,
      fragment,
      params: {},
      requestId: 'order',
      templateParameterValues: { Stage: 'dev', AgentImage: '' },
    });
    if (response.status !== 'success') throw new Error(response.errorMessage);
    return response.fragment;
  };
  const mirrorsOf = (output: JsonObject) =>
    Object.fromEntries(Object.entries(output.Resources as JsonObject).filter(([, r]) => (r as JsonObject).Type === 'Custom::ImageMirror'));

  beforeAll(async () => {
    const parameterValues = { Stage: 'dev', AgentImage: '' };
    results.macroThenSam = (await samTranslate({ ...(await runMacro(template)), Transform: SAM }, { region: REGION, parameterValues })) as JsonObject;
    const { Transform: _done, ...afterSam } = await samTranslate({ ...template, Transform: SAM }, { region: REGION, parameterValues });
    results.samThenMacro = await runMacro(afterSam as JsonObject);
  }, TOOL_TEST_TIMEOUT_MS);

  it('gives the same mirrors, conditions and waits in both orders', () => {
    expect(mirrorsOf(results.samThenMacro)).toEqual(mirrorsOf(results.macroThenSam));
    const mirrors = Object.entries(mirrorsOf(results.macroThenSam)) as [string, JsonObject][];
    // Worker and ProdWorker share one (Worker has no Condition, so neither has the mirror); Agent always has an image;
    // Optional only in prod and with an agent image.
    const [optional] = mirrors[2]!;
    expect(mirrors.map(([, m]) => [m.Condition, m.DependsOn])).toEqual([
      [undefined, ['Queue']],
      [undefined, undefined],
      [`${optional}Needed`, undefined],
    ]);
    for (const output of Object.values(results)) {
      expect((output.Conditions as JsonObject)[`${optional}Needed`]).toEqual({ 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'UseAgent' }] });
    }
  });

  it.each(['macroThenSam', 'samThenMacro'] as const)('%s: cfn-lint finds no error', async (order) => {
    const findings = (await lintTemplates({ [order]: results[order] }, { region: REGION })).get(order)!;
    expect(findings.filter((finding) => finding.level === 'Error' || finding.rule === 'W1001').map(findingKey)).toEqual([]);
  });
});
