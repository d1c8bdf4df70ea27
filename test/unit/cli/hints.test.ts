// "When nothing is found, say why": each note or warning says what the CLI saw and what to do, and is printed only
// when it is true (every case has its negative beside it).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { lambdaImageFunction, samImageFunction, stringParameter, templateWith } from '../macro/fixtures.js';
import { REAL_TEMPLATES_DIR } from '../../support/test-data.js';
import { runCli } from './run-cli.js';

const FLAGS = ['--region', 'eu-west-1', '--account', '123456789012', '--mirror-function-arn', 'arn:aws:lambda:eu-west-1:123456789012:function:mirror'];
const PRIVATE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/app:1';
const ORCHESTRATOR = readFileSync(`${REAL_TEMPLATES_DIR}sysdig-orchestrator-agent-5.0.1.yaml`, 'utf8');
const ORCHESTRATOR_PARAMETERS = ['SysdigAccessKey=k', 'VPC=vpc-1', 'SubnetA=subnet-1', 'SubnetB=subnet-2', 'NetworkType=Private'].flatMap((pair) => ['--parameter', pair]);

const lines = (text: string, prefix: string) => text.split('\n').filter((line) => line.startsWith(prefix));

function taskDefinition(image: Json, metadata?: JsonObject): JsonObject {
  return {
    Type: 'AWS::ECS::TaskDefinition',
    ...(metadata !== undefined ? { Metadata: metadata } : {}),
    Properties: { ExecutionRoleArn: 'arn:aws:iam::123456789012:role/exec', ContainerDefinitions: [{ Name: 'app', Image: image }] },
  };
}

describe('task definitions without Ecs: true', () => {
  const ECS_NOTE =
    'note: SysdigOrchestratorAgent (AWS::ECS::TaskDefinition) runs quay.io/sysdig/orchestrator-agent:5.0.1, outside private ECR of eu-west-1: ' +
    'task definitions are left as they are unless Metadata.SysdigImageFix.Ecs is true (ECS pulls from other registries itself; set Ecs: true ' +
    "in the template's or the task definition's Metadata.SysdigImageFix when its tasks have no route to them, e.g. in private subnets)";

  it("Sysdig's orchestrator template: scan says no sites were found and why, naming the option", async () => {
    const run = await runCli(['scan', '-', ...FLAGS, ...ORCHESTRATOR_PARAMETERS], { stdin: ORCHESTRATOR });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('no image sites found\n');
    expect(lines(run.stderr, 'note: SysdigOrchestratorAgent')).toEqual([ECS_NOTE]);
  });

  it.each([
    ['Ecs: true (the task definition is a site)', 'SysdigImageFix: {Ecs: true}'],
    ['Ecs: false (the template chose)', 'SysdigImageFix: {Ecs: false}'],
  ])('says nothing with %s', async (_case, metadata) => {
    const run = await runCli(['scan', '-', ...FLAGS, ...ORCHESTRATOR_PARAMETERS], { stdin: ORCHESTRATOR.replace('\nMetadata:\n', `\nMetadata:\n  ${metadata}\n`) });
    expect(run.code).toBe(0);
    expect(run.stderr).not.toContain('Ecs is true');
  });

  it('says nothing for a task definition whose images are private ECR of the region, or that chose Ecs itself', async () => {
    const template = templateWith({ Kept: taskDefinition(PRIVATE), Chose: taskDefinition('quay.io/a/b:1', { SysdigImageFix: { Ecs: false } }) });
    const run = await runCli(['scan', '-', ...FLAGS], { stdin: JSON.stringify(template) });
    expect(run.stderr).not.toContain('Ecs is true');
    const other = await runCli(['scan', '-', ...FLAGS], { stdin: JSON.stringify(templateWith({ Other: taskDefinition('quay.io/a/b:1') })) });
    expect(lines(other.stderr, 'note: Other ')).toHaveLength(1);
  });
});

describe('a SAM function with ImageUri and no PackageType', () => {
  const function_ = (properties: JsonObject) => ({ Type: 'AWS::Serverless::Function', Properties: { ImageUri: 'quay.io/a/b:1', ...properties } });

  it('warns that SAM reads it as Zip, and what to add', async () => {
    const run = await runCli(['scan', '-', ...FLAGS], { stdin: JSON.stringify(templateWith({ Fn: function_({}) })) });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('no image sites found\n');
    expect(lines(run.stderr, 'warning:')).toEqual([
      "warning: Resource Fn (AWS::Serverless::Function) has ImageUri but no PackageType: SAM reads it as a Zip function (its default), so its image is not a site and SAM refuses the function (\"Only one of 'InlineCode' or 'CodeUri' can be set\"), or ignores ImageUri when CodeUri is given. Add PackageType: Image",
    ]);
  });

  it.each([['Image'], ['Zip']])('says nothing with PackageType: %s', async (packageType) => {
    const run = await runCli(['scan', '-', ...FLAGS], { stdin: JSON.stringify(templateWith({ Fn: function_({ PackageType: packageType }) })) });
    expect(run.stderr).not.toContain('PackageType');
  });
});

describe('Fn::ForEach of AWS::LanguageExtensions', () => {
  const loop = (body: JsonObject) => ({ 'Fn::ForEach::Functions': ['Name', ['A', 'B'], { '${Name}Function': body }] });
  const withTransform = (transform: string[], resources: JsonObject) => JSON.stringify({ Transform: transform, Resources: resources });

  it('listed after the macro: a warning that the loop is expanded too late, and the order that works', async () => {
    const run = await runCli(['scan', '-', ...FLAGS], { stdin: withTransform(['SysdigImageFix', 'AWS::LanguageExtensions'], loop(lambdaImageFunction('quay.io/a/b:1'))) });
    expect(run.code).toBe(0);
    expect(lines(run.stderr, 'warning:')).toEqual([
      'warning: Resources.Fn::ForEach::Functions is an AWS::LanguageExtensions loop, which only CloudFormation expands: the image sites it makes ' +
        'are not mirrored. List AWS::LanguageExtensions before the macro in Transform, so that CloudFormation expands the loop before the macro runs',
    ]);
  });

  it('listed before the macro: a note that this output does not mirror them, but the macro does', async () => {
    const run = await runCli(['scan', '-', ...FLAGS], { stdin: withTransform(['AWS::LanguageExtensions', 'SysdigImageFix'], loop(samImageFunction('quay.io/a/b:1'))) });
    expect(lines(run.stderr, 'warning:')).toEqual([]);
    expect(lines(run.stderr, 'note: Resources.Fn::ForEach::Functions')).toEqual([
      'note: Resources.Fn::ForEach::Functions is an AWS::LanguageExtensions loop, which only CloudFormation expands: the image sites it makes are ' +
        'not seen here, and this output does not mirror them. Deployed with the macro, CloudFormation expands the loop before the macro runs (it ' +
        'comes after AWS::LanguageExtensions in Transform), so deploy the template itself rather than this output',
    ]);
  });

  it('says nothing for a loop that makes no image resources', async () => {
    const run = await runCli(['scan', '-', ...FLAGS], { stdin: withTransform(['SysdigImageFix', 'AWS::LanguageExtensions'], loop({ Type: 'AWS::S3::Bucket' })) });
    expect(run.stderr).not.toContain('Fn::ForEach');
  });
});

describe('kept sites whose image follows parameters', () => {
  const sam = readFileSync(fileURLToPath(new URL('../../../examples/sam-function.yaml', import.meta.url)), 'utf8');

  it('examples/sam-function.yaml ApiFunction: the parameter is only the tag, so no note', async () => {
    const run = await runCli(['transform', '-', ...FLAGS], { stdin: sam });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/\n {2}ApiFunction +keep /);
    expect(run.stderr).not.toContain('ApiFunction keeps');
  });

  it('a parameter that names the registry gets the note, for a Lambda site and a task definition site alike', async () => {
    const template = templateWith(
      { Fn: lambdaImageFunction({ Ref: 'Image' }), Task: taskDefinition({ Ref: 'Image' }) },
      { Metadata: { SysdigImageFix: { Ecs: true } }, Parameters: { Image: stringParameter('quay.io/a/b:1') } },
    );
    const run = await runCli(['transform', '-', ...FLAGS, '--parameter', `Image=${PRIVATE}`], { stdin: JSON.stringify(template) });
    expect(run.code).toBe(0);
    expect(lines(run.stderr, 'note: ').filter((line) => /^note: (Fn|Task)/.test(line))).toEqual([
      'note: Fn keeps its image for the value of Image given here; deployed with a value that names an image outside private ECR of eu-west-1, ' +
        'Lambda refuses it (transform again with those --parameter values, or deploy with the macro)',
      'note: Task.ContainerDefinitions[0].Image keeps its image for the value of Image given here; deployed with a value that names an image ' +
        'outside private ECR of eu-west-1, its tasks pull from that registry and need a route to it (transform again with those --parameter values, ' +
        'or deploy with the macro)',
    ]);
  });

  it('a MirrorParameters parameter whose value is private ECR of the region gets the note too', async () => {
    const template = templateWith(
      { Fn: lambdaImageFunction(PRIVATE, {}) },
      { Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'] } }, Parameters: { Agent: stringParameter(PRIVATE) } },
    );
    const run = await runCli(['transform', '-', ...FLAGS], { stdin: JSON.stringify(template) });
    expect(lines(run.stderr, 'note: Parameters.Agent')).toEqual([
      'note: Parameters.Agent keeps its image for the value of Agent given here; deployed with a value that names an image outside private ECR ' +
        'of eu-west-1, its uses read that image as it is, unmirrored (transform again with those --parameter values, or deploy with the macro)',
    ]);
  });

  it.each([
    ['an account id parameter (any account of the region is private ECR)', '${Account}.dkr.ecr.${AWS::Region}.amazonaws.com/app:1', { Account: '111122223333' }],
    ['a repository parameter with AllowedValues, all in private ECR', '${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/${Repo}:1', { Repo: 'a' }],
  ])('no note for %s', async (_case, sub, values) => {
    const parameters = Object.fromEntries(
      Object.entries(values).map(([name, value]) => [name, name === 'Repo' ? { Type: 'String', Default: value, AllowedValues: ['a', 'b/c'] } : stringParameter(value)]),
    );
    const run = await runCli(['transform', '-', ...FLAGS], {
      stdin: JSON.stringify(templateWith({ Fn: lambdaImageFunction({ 'Fn::Sub': sub }) }, { Parameters: parameters })),
    });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/\n {2}Fn +keep /);
    expect(lines(run.stderr, 'note: Fn')).toEqual([]);
  });

  it('a region parameter gets the note (another region is refused)', async () => {
    const template = templateWith(
      { Fn: lambdaImageFunction({ 'Fn::Sub': '${AWS::AccountId}.dkr.ecr.${Where}.amazonaws.com/app:1' }) },
      { Parameters: { Where: stringParameter('eu-west-1') } },
    );
    const run = await runCli(['transform', '-', ...FLAGS], { stdin: JSON.stringify(template) });
    expect(lines(run.stderr, 'note: Fn')).toHaveLength(1);
    expect(run.stderr).toContain('note: Fn keeps its image for the value of Where given here');
  });
});

describe('transforming the output again', () => {
  it('says that no mirror was injected and that the ones it reads were there already', async () => {
    const template = templateWith(
      { Fn: lambdaImageFunction('quay.io/a/b:1') },
      {
        Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'] } },
        Parameters: { Agent: stringParameter('quay.io/sysdig/agent:1') },
        Outputs: { A: { Value: { Ref: 'Agent' } } },
      },
    );
    const first = await runCli(['transform', '-', ...FLAGS, '--format', 'json'], { stdin: JSON.stringify(template) });
    expect(lines(first.stderr, 'SysdigImageFix: ')[0]).toBe('SysdigImageFix: 2 image sites (2 mirror); 2 ImageMirror resources injected');
    const second = await runCli(['transform', '-', ...FLAGS, '--format', 'json'], { stdin: first.stdout });
    expect(second.stdout).toBe(first.stdout);
    expect(lines(second.stderr, 'SysdigImageFix: ')[0]).toBe(
      'SysdigImageFix: 2 image sites (1 mirror, 1 keep); no ImageMirror resource injected (1 already in the template, from an earlier transform)',
    );
  });
});
