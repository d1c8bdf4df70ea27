// AWS managed policies that let a role pull images from private ECR: their default version allows
// ecr:GetAuthorizationToken, ecr:BatchGetImage and ecr:GetDownloadUrlForLayer on every repository, with no condition.
// Read from the AWS managed policy reference (docs.aws.amazon.com/aws-managed-policy/latest/reference; every
// attachable policy's default version as of March 2026). Policies for service-linked roles (path aws-service-role/)
// are left out: a role of a template cannot attach them.
const ECR_PULL_MANAGED_POLICIES: ReadonlySet<string> = new Set([
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
]);

/** `arn:<partition>:iam::aws:policy/<path><name>`, any partition (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, ...). */
const AWS_MANAGED_POLICY_ARN = /^arn:aws(?:-[a-z]+)*:iam::aws:policy\/(.+)$/;

/** Whether `arn` is an AWS managed policy that grants ECR pull (its path must be the policy's own). */
export function grantsEcrPull(arn: string): boolean {
  const name = AWS_MANAGED_POLICY_ARN.exec(arn)?.[1];
  return name !== undefined && ECR_PULL_MANAGED_POLICIES.has(name);
}

/** The names shown in messages: the policies meant for pulling images. */
export const PULL_POLICY_EXAMPLES = ['service-role/AmazonECSTaskExecutionRolePolicy', 'AmazonEC2ContainerRegistryReadOnly', 'AmazonEC2ContainerRegistryPullOnly'] as const;
