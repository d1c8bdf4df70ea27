// The CLI with the opt-in options: scan shows parameter and container sites, transform writes them (YAML and
// JSON), and warnings go to stderr.
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../src/cli/cfn-yaml.js';
import type { JsonObject } from '../../../src/template/types.js';
import { runCli as runWith } from './run-cli.js';

const TEMPLATE = `AWSTemplateFormatVersion: 2010-09-09
Transform: SysdigImageFix
Metadata:
  SysdigImageFix:
    MirrorParameters: [AgentImage]
    Ecs: true
Parameters:
  AgentImage:
    Type: String
    Default: quay.io/sysdig/workload-agent:5.0.1
Resources:
  TaskRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: 2012-10-17, Statement: []}
  Task:
    Type: AWS::ECS::TaskDefinition
    Properties:
      ExecutionRoleArn: !GetAtt TaskRole.Arn
      RuntimePlatform: {CpuArchitecture: ARM64}
      ContainerDefinitions:
        - Name: app
          Image: nginx:1.27
          Environment:
            - Name: AGENT
              Value: !Sub "agent=\${AgentImage}"
Outputs:
  Agent:
    Value: !Ref AgentImage
`;

const runCli = (argv: string[]) => runWith(argv, { stdin: TEMPLATE });

const FLAGS = ['--region', 'ap-northeast-1', '--account', '123456789012', '--mirror-function-arn', 'arn:aws:lambda:ap-northeast-1:123456789012:function:m'];
const WARNING = /^warning: Resource Task: its images now come from private ECR, but its execution role TaskRole grants no ECR pull permission/m;

describe('CLI: opt-in sites', () => {
  it('scan lists the container and parameter sites with their verdicts, architecture `all` for the parameter', async () => {
    const run = await runCli(['scan', '-', ...FLAGS]);
    expect(run.code).toBe(0);
    const rows = run.stdout
      .trim()
      .split('\n')
      .map((line) => line.split(/\s{2,}/));
    expect(rows[0]).toEqual(['RESOURCE', 'VERDICT', 'IMAGE', 'ARCHITECTURE', 'MIRROR']);
    expect(rows.slice(1).map(([resource, verdict, image, architecture]) => [resource, image, verdict, architecture])).toEqual([
      ['Task.ContainerDefinitions[0].Image', 'docker.io/library/nginx:1.27', 'mirror', 'arm64'],
      ['Parameters.AgentImage', 'quay.io/sysdig/workload-agent:5.0.1', 'mirror', 'all'],
    ]);
    expect(run.stderr).toMatch(WARNING);
  });

  it('scan --format json carries location and architecture', async () => {
    const sites = JSON.parse((await runCli(['scan', '-', '--format', 'json', ...FLAGS])).stdout) as JsonObject[];
    expect(sites.map((site) => [site.location, site.resourceType, site.architecture])).toEqual([
      ['Task.ContainerDefinitions[0].Image', 'AWS::ECS::TaskDefinition', 'arm64'],
      ['Parameters.AgentImage', 'Parameter', 'all'],
    ]);
  });

  it.each(['yaml', 'json'])('transform (%s) rewrites the container image, the Sub and the output; the summary counts both sites', async (format) => {
    const run = await runCli(['transform', '-', '--format', format, ...FLAGS]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('SysdigImageFix: 2 image sites (2 mirror); 2 ImageMirror resources injected');
    expect(run.stderr).toMatch(WARNING);
    const output = (format === 'json' ? JSON.parse(run.stdout) : parseCfnYaml(run.stdout)) as JsonObject;
    const resources = output.Resources as Record<string, JsonObject>;
    const mirrors = Object.entries(resources).filter(([, resource]) => resource.Type === 'Custom::ImageMirror');
    const agent = mirrors.find(([, resource]) => (resource.Properties as JsonObject).Platforms === 'all')![0];
    const task = mirrors.find(([, resource]) => (resource.Properties as JsonObject).Architecture === 'arm64')![0];
    const container = ((resources.Task!.Properties as JsonObject).ContainerDefinitions as JsonObject[])[0]!;
    expect(container.Image).toEqual({ 'Fn::GetAtt': [task, 'ImageUri'] });
    expect(container.Environment).toEqual([{ Name: 'AGENT', Value: { 'Fn::Sub': `agent=\${${agent}.ImageUri}` } }]);
    expect(output.Outputs).toEqual({ Agent: { Value: { 'Fn::GetAtt': [agent, 'ImageUri'] } } });
    if (format === 'yaml') expect(run.stdout).toContain(`Image: !GetAtt ${task}.ImageUri`);
  });
});
