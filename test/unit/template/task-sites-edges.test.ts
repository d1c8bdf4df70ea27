// Task definition sites (opt-in Ecs) with shapes a hand-written or hostile template can have: which containers are
// sites, and which CpuArchitecture values ECS takes.
import { describe, expect, it } from 'vitest';
import { findTaskImageSites } from '../../../src/template/task-sites.js';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, defaults, expectFailure, expectSuccess, QUAY_IMAGE, template } from './fixtures.js';

const ROLE_ARN = 'arn:aws:iam::123456789012:role/ecsTaskExecutionRole';
const task = (properties: JsonObject): JsonObject => ({ Type: 'AWS::ECS::TaskDefinition', Properties: { ExecutionRoleArn: ROLE_ARN, ...properties } });
const transformed = (resources: JsonObject) => transform(template(resources, { Metadata: { SysdigImageFix: { Ecs: true } } }), context(), defaults());

describe('Task definition sites', () => {
  it('leaves a ContainerDefinitions given as an intrinsic to CloudFormation, without error', () => {
    const containers = { 'Fn::If': ['C', [{ Name: 'a', Image: QUAY_IMAGE }], [{ Name: 'b', Image: QUAY_IMAGE }]] };
    const input = task({ ContainerDefinitions: containers });
    const { fragment, sites } = expectSuccess(transformed({ T: input }));
    expect(sites).toEqual([]);
    expect((fragment.Resources as JsonObject).T).toBe(input);
  });

  it('takes only the containers that name an Image, keeping their index', () => {
    const input = task({ ContainerDefinitions: [{ Name: 'sidecar' }, 'odd', { Name: 'app', Image: QUAY_IMAGE }] as Json[] });
    const { sites } = expectSuccess(transformed({ T: input }));
    expect(sites.map((site) => [site.location, site.verdict])).toEqual([['T.ContainerDefinitions[2].Image', 'mirror']]);
  });

  it('carries no Condition that is not a condition name', () => {
    const resource = { ...task({ ContainerDefinitions: [{ Name: 'a', Image: QUAY_IMAGE }] }), Condition: ['IsProd'] } as JsonObject;
    expect(findTaskImageSites('T', resource)[0]).not.toHaveProperty('condition');
  });

  it.each<[string, Json]>([
    ['a list holding a valid value', ['ARM64']],
    ['a key every object has', 'constructor'],
    ['another key every object has', 'toString'],
  ])('refuses a CpuArchitecture that is %s', (_, cpu) => {
    const input = task({ RuntimePlatform: { CpuArchitecture: cpu }, ContainerDefinitions: [{ Name: 'a', Image: QUAY_IMAGE }] });
    expect(expectFailure(transformed({ T: input }))).toEqual([
      {
        logicalId: 'T',
        message: `Resource T: RuntimePlatform.CpuArchitecture ${JSON.stringify(cpu)} is not valid: ${JSON.stringify(cpu)} is not one of X86_64, ARM64. Use X86_64 or ARM64, or set Metadata.SysdigImageFix.Architecture (x86_64, arm64) or Platforms: all on the task definition`,
      },
    ]);
  });

  it('mirrors the whole image for a CpuArchitecture not known at transform time', () => {
    const input = template(
      { T: task({ RuntimePlatform: { CpuArchitecture: { Ref: 'Cpu' } }, ContainerDefinitions: [{ Name: 'a', Image: QUAY_IMAGE }] }) },
      { Metadata: { SysdigImageFix: { Ecs: true } }, Parameters: { Cpu: { Type: 'String' } } },
    );
    expect(expectSuccess(transform(input, context(), defaults())).sites.map((site) => site.architecture)).toEqual(['all']);
  });
});
