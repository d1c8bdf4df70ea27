// The AWS managed policies counted as granting ECR pull (the AWS managed policy reference, March 2026: each default
// version allows the three pull actions on every repository without condition), in every partition, and nothing else.
import { describe, expect, it } from 'vitest';
import { grantsEcrPull } from '../../../src/template/managed-policies.js';

const PULLING = [
  'AdministratorAccess',
  'PowerUserAccess',
  'ReadOnlyAccess',
  'AmazonEC2ContainerRegistryFullAccess',
  'AmazonEC2ContainerRegistryPowerUser',
  'AmazonEC2ContainerRegistryPullOnly',
  'AmazonEC2ContainerRegistryReadOnly',
  'AmazonEKSFargatePodExecutionRolePolicy',
  'AmazonRedshiftAllCommandsFullAccess',
  'AmazonSageMakerCanvasFullAccess',
  'AmazonSageMakerFullAccess',
  'AmazonSageMakerHyperPodInferenceAccess',
  'AmazonSageMakerServiceCatalogProductsCodeBuildServiceRolePolicy',
  'AmazonDataZoneSageMakerEnvironmentRolePermissionsBoundary',
  'EC2InstanceProfileForImageBuilderECRContainerBuilds',
  'SageMakerStudioAdminIAMDefaultExecutionPolicy',
  'SageMakerStudioAdminIAMPermissiveExecutionPolicy',
  'SageMakerStudioProjectUserRolePermissionsBoundary',
  'SageMakerStudioUserIAMDefaultExecutionPolicy',
  'SageMakerStudioUserIAMPermissiveExecutionPolicy',
  'service-role/AmazonECSTaskExecutionRolePolicy',
  'service-role/AmazonEC2ContainerServiceforEC2Role',
  'service-role/AWSAppRunnerServicePolicyForECRAccess',
];

describe('Function: grantsEcrPull', () => {
  it.each(PULLING)('counts %s in every partition', (name) => {
    for (const partition of ['aws', 'aws-cn', 'aws-us-gov', 'aws-iso', 'aws-iso-b']) expect(grantsEcrPull(`arn:${partition}:iam::aws:policy/${name}`)).toBe(true);
  });

  it.each([
    ['text before the ARN', 'x-arn:aws:iam::aws:policy/AdministratorAccess'],
    ['a line break after it', 'arn:aws:iam::aws:policy/AdministratorAccess\n'],
    ['a partition that is not an AWS one', 'arn:aws-1:iam::aws:policy/AdministratorAccess'],
    ['a customer account', 'arn:aws:iam::123456789012:policy/AdministratorAccess'],
    ['a policy of the list under another path', 'arn:aws:iam::aws:policy/AmazonECSTaskExecutionRolePolicy'],
    ['a policy not in the list', 'arn:aws:iam::aws:policy/CloudWatchLogsFullAccess'],
    ['no policy name', 'arn:aws:iam::aws:policy/'],
  ])('does not count %s', (_, arn) => {
    expect(grantsEcrPull(arn)).toBe(false);
  });
});
