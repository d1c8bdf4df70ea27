// What operating the mirrors reads and decides: the records the AWS port returns (src/ops/aws.ts builds it, tests
// replace it), the inventory gathered from them, and the shapes the pure analysis hands to the CLI.

/** An ECR repository (DescribeRepositories). */
export interface RepositoryRecord {
  readonly name: string;
  /** `<account>.dkr.ecr.<region>.<suffix>/<name>` */
  readonly uri: string;
  readonly arn: string;
}

/** One image of a repository (DescribeImages): a manifest or an index, by digest. */
export interface ImageRecord {
  readonly digest: string;
  readonly tags: readonly string[];
  /** ECR's imageSizeInBytes (for an index ECR may give none: its children carry the layers). */
  readonly sizeBytes?: number;
  /** Epoch milliseconds. */
  readonly pushedAt?: number;
  readonly mediaType?: string;
}

/** A Lambda function with a container image (GetFunction's Code). */
export interface LambdaFunctionRecord {
  readonly name: string;
  readonly imageUri?: string;
  /** What Lambda resolved ImageUri to (`<repo>@sha256:<digest>`), when it says. */
  readonly resolvedImageUri?: string;
}

/** An ACTIVE ECS task definition revision and the image of each container. */
export interface TaskDefinitionRecord {
  /** `family:revision` */
  readonly name: string;
  readonly containers: readonly { readonly name: string; readonly image: string }[];
}

/** A CloudFormation stack (DescribeStacks): its status, and what identifies a macro stack. */
export interface StackRecord {
  readonly name: string;
  readonly id: string;
  readonly status: string;
  readonly parameters: Readonly<Record<string, string>>;
  readonly outputs: readonly { readonly key: string; readonly value: string; readonly exportName?: string }[];
}

/** A Custom::ImageMirror resource of a stack; its physical id is the ImageUri the mirror answered. */
export interface MirrorResourceRecord {
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly status: string;
}

/** What could not be read: the list it is part of, the IAM action that failed, and the error. */
export interface Unreadable {
  /** e.g. `Lambda functions`, `repository sysdig-image-fix/quay.io/x`. */
  readonly what: string;
  readonly action: string;
  readonly error: string;
  /** Set when only this repository's own reading failed (its images, tags, manifests or policy). */
  readonly repository?: string;
}

/** Every AWS call operating the mirrors makes; the edge (aws.ts) implements it, unit tests replace it. */
export interface OpsPort {
  /** cloudformation:DescribeStacks, every page: the stacks that exist (not deleted ones). */
  listStacks(): Promise<StackRecord[]>;
  /** cloudformation:ListStackResources, every page, only the Custom::ImageMirror resources. Undefined: the stack is gone. */
  listMirrorResources(stackId: string): Promise<MirrorResourceRecord[] | undefined>;
  /** ecr:DescribeRepositories, every page. */
  listRepositories(): Promise<RepositoryRecord[]>;
  /** ecr:ListTagsForResource. */
  repositoryTags(arn: string): Promise<Record<string, string>>;
  /** ecr:DescribeImages, every page. */
  listImages(repository: string): Promise<ImageRecord[]>;
  /** ecr:BatchGetImage: the digests each of these indexes lists. */
  indexChildren(repository: string, digests: readonly string[]): Promise<Map<string, string[]>>;
  /** ecr:GetLifecyclePolicy: the policy text, undefined when the repository has none. */
  lifecyclePolicy(repository: string): Promise<string | undefined>;
  /** lambda:ListFunctions, every page: names of the functions whose PackageType is Image. */
  listImageFunctions(): Promise<string[]>;
  /** lambda:GetFunction; undefined when the function is gone. */
  functionImage(name: string): Promise<LambdaFunctionRecord | undefined>;
  /** ecs:ListTaskDefinitions (status ACTIVE), every page: task definition ARNs. */
  listActiveTaskDefinitions(): Promise<string[]>;
  /** ecs:DescribeTaskDefinition; undefined when it is no longer ACTIVE. */
  taskDefinition(arn: string): Promise<TaskDefinitionRecord | undefined>;
  /** ecr:BatchDeleteImage by digest. */
  deleteImages(repository: string, digests: readonly string[]): Promise<DeleteResult>;
}

export interface DeleteResult {
  readonly deleted: readonly string[];
  readonly failures: readonly { readonly digest: string; readonly code: string; readonly reason: string }[];
}

/** The IAM action behind each port call (messages, docs/operate.md and its test use this one list). */
export const OPS_ACTIONS = {
  listStacks: 'cloudformation:DescribeStacks',
  listMirrorResources: 'cloudformation:ListStackResources',
  listRepositories: 'ecr:DescribeRepositories',
  repositoryTags: 'ecr:ListTagsForResource',
  listImages: 'ecr:DescribeImages',
  indexChildren: 'ecr:BatchGetImage',
  lifecyclePolicy: 'ecr:GetLifecyclePolicy',
  listImageFunctions: 'lambda:ListFunctions',
  functionImage: 'lambda:GetFunction',
  listActiveTaskDefinitions: 'ecs:ListTaskDefinitions',
  taskDefinition: 'ecs:DescribeTaskDefinition',
  deleteImages: 'ecr:BatchDeleteImage',
} as const satisfies Record<keyof OpsPort, string>;

/** One repository under the prefix as read. `images` undefined: they could not be read. */
export interface RepositoryInventory {
  readonly repository: RepositoryRecord;
  /** Undefined when the tags could not be read. */
  readonly tags?: Readonly<Record<string, string>>;
  readonly images?: readonly ImageRecord[];
  /** Index digest -> the digests it lists (only indexes whose manifest could be read). */
  readonly children: ReadonlyMap<string, readonly string[]>;
  /** The lifecycle policy text; undefined when there is none or it could not be read. */
  readonly lifecyclePolicy?: string;
}

export interface StackMirrors {
  readonly name: string;
  readonly status: string;
  readonly mirrors: readonly MirrorResourceRecord[];
}

/** Everything read, and what could not be. */
export interface Inventory {
  readonly region: string;
  readonly prefixes: readonly string[];
  /** How the prefixes were found, for the report. */
  readonly prefixSource: string;
  readonly repositories: readonly RepositoryInventory[];
  readonly functions: readonly LambdaFunctionRecord[];
  readonly taskDefinitions: readonly TaskDefinitionRecord[];
  readonly stacks: readonly StackMirrors[];
  readonly unreadable: readonly Unreadable[];
}
