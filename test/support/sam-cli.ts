// What `sam deploy` (SAM CLI 1.164.0, read from its source) decides about a template before CloudFormation sees it,
// for templates with image functions. No SAM CLI here, so its rules are written out, each with the file it is from:
//   - samcli/lib/cli_validation/image_repository_validation.py: one (and only one) of --image-repository,
//     --image-repositories, --resolve-image-repos is required when any function has PackageType Image (not with
//     --guided); --image-repositories must name every image function;
//   - samcli/cli/types.py ImageRepositoryType / ImageRepositoriesType: the values must be ECR URIs (is_ecr_url);
//   - samcli/lib/package/packageable_resources.py ResourceImage.export: an ImageUri (Serverless) or Code.ImageUri
//     (Lambda) that is not a string (an intrinsic) is skipped; samcli/lib/package/utils.py
//     upload_local_image_artifacts: an ECR URI string is kept; any other string is pushed as a LOCAL image, which
//     fails for a registry reference;
//   - samcli/lib/package/ecr_utils.py ECR_URL: <id>.dkr.ecr.<region>.amazonaws.com[.cn]/<repo>, localhost, 127.0.0.1;
//   - samcli/commands/deploy/deploy_context.py: a template over 51,200 bytes needs an S3 bucket.
// And CloudFormation's capabilities as the README states them: CAPABILITY_IAM for IAM resources (SAM functions
// without Role get a generated role), CAPABILITY_AUTO_EXPAND wherever a transform other than SAM's alone is used.
import type { Json, JsonObject } from '../../src/template/types.js';

const ECR_URL =
  /^(?:[a-zA-Z0-9][\w-]*\.dkr\.ecr\.[a-zA-Z0-9][\w-]*\.amazonaws\.com(?:\.cn)?|localhost(?::\d{1,5})?|127\.0\.0\.1(?::\d{1,5})?)\/(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*/;
const SAM_TRANSFORM = 'AWS::Serverless-2016-10-31';
const MAX_TEMPLATE_BODY = 51_200;

export function isEcrUrl(value: string): boolean {
  return ECR_URL.test(value);
}

/** The `sam deploy` options that matter here, from a command line or a samconfig.toml deploy section. */
export interface SamDeployOptions {
  readonly guided?: boolean;
  readonly imageRepository?: string;
  readonly imageRepositories?: Readonly<Record<string, string>>;
  readonly resolveImageRepos?: boolean;
  readonly capabilities?: readonly string[];
  readonly s3Bucket?: string;
  readonly resolveS3?: boolean;
  readonly stackName?: string;
  readonly region?: string;
  readonly templateFile?: string;
}

function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `sam deploy ...` as written in a shell (backslash-newline continuations allowed, no quoting needed here). */
export function parseSamDeployCommand(command: string): SamDeployOptions {
  const words = command.replace(/\\\n/g, ' ').trim().split(/\s+/);
  if (words[0] !== 'sam' || words[1] !== 'deploy') throw new Error(`not a sam deploy command: ${command}`);
  const options: Record<string, unknown> = {};
  const repositories: Record<string, string> = {};
  for (let i = 2; i < words.length; i++) {
    const word = words[i]!;
    const next = (): string => {
      const value = words[++i];
      if (value === undefined || value.startsWith('--')) throw new Error(`${word} needs a value in: ${command}`);
      return value;
    };
    switch (word) {
      case '--guided':
      case '-g':
        options.guided = true;
        break;
      case '--resolve-image-repos':
        options.resolveImageRepos = true;
        break;
      case '--resolve-s3':
        options.resolveS3 = true;
        break;
      case '--image-repository':
        options.imageRepository = next();
        break;
      case '--image-repositories': {
        const [id, uri] = next().split('=');
        repositories[id!] = uri ?? '';
        break;
      }
      case '--capabilities': {
        const values: string[] = [];
        while (words[i + 1] !== undefined && !words[i + 1]!.startsWith('--')) values.push(words[++i]!);
        options.capabilities = values;
        break;
      }
      case '--s3-bucket':
        options.s3Bucket = next();
        break;
      case '--stack-name':
        options.stackName = next();
        break;
      case '--region':
        options.region = next();
        break;
      case '--template-file':
      case '--template':
      case '-t':
        options.templateFile = next();
        break;
      default:
        throw new Error(`option ${word} is not modelled here: ${command}`);
    }
  }
  if (Object.keys(repositories).length > 0) options.imageRepositories = repositories;
  return options as SamDeployOptions;
}

/** The `[default.deploy.parameters]` keys of a samconfig.toml text (string, boolean and space-separated values). */
export function parseSamconfigDeploy(toml: string): SamDeployOptions {
  const values = new Map<string, string>();
  let section = '';
  for (const raw of toml.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const pair = /^([a-z0-9_]+)\s*=\s*(.+)$/.exec(line);
    if (pair && (section === 'default.deploy.parameters' || section === 'default.global.parameters')) values.set(pair[1]!, pair[2]!);
  }
  const text = (key: string): string | undefined => {
    const value = values.get(key);
    return value === undefined ? undefined : value.replace(/^"(.*)"$/, '$1');
  };
  const options: Record<string, unknown> = {};
  if (text('image_repository') !== undefined) options.imageRepository = text('image_repository');
  if (text('capabilities') !== undefined) options.capabilities = text('capabilities')!.split(/\s+/);
  if (values.get('resolve_image_repos') === 'true') options.resolveImageRepos = true;
  if (values.get('resolve_s3') === 'true') options.resolveS3 = true;
  if (text('s3_bucket') !== undefined) options.s3Bucket = text('s3_bucket');
  if (text('stack_name') !== undefined) options.stackName = text('stack_name');
  if (text('region') !== undefined) options.region = text('region');
  return options as SamDeployOptions;
}

interface ImageSite {
  readonly logicalId: string;
  readonly value: Json | undefined;
}

/** Functions with PackageType Image and where their image is (SAM CLI's RESOURCES_WITH_IMAGE_COMPONENT). */
function imageSites(template: JsonObject): ImageSite[] {
  const sites: ImageSite[] = [];
  for (const [logicalId, resource] of Object.entries(isObject(template.Resources) ? template.Resources : {})) {
    if (!isObject(resource) || !isObject(resource.Properties)) continue;
    const properties = resource.Properties;
    if (properties.PackageType !== 'Image') continue;
    if (resource.Type === 'AWS::Serverless::Function') sites.push({ logicalId, value: properties.ImageUri });
    if (resource.Type === 'AWS::Lambda::Function') sites.push({ logicalId, value: isObject(properties.Code) ? properties.Code.ImageUri : undefined });
  }
  return sites;
}

function transformsOf(template: JsonObject): string[] {
  const transform = template.Transform;
  if (typeof transform === 'string') return [transform];
  return Array.isArray(transform) ? transform.filter((t): t is string => typeof t === 'string') : [];
}

function needsIam(template: JsonObject): boolean {
  return Object.values(isObject(template.Resources) ? template.Resources : {}).some(
    (resource) =>
      isObject(resource) &&
      (String(resource.Type).startsWith('AWS::IAM::') ||
        (resource.Type === 'AWS::Serverless::Function' && !(isObject(resource.Properties) && resource.Properties.Role !== undefined))),
  );
}

/** Why `sam deploy` with these options would not get this template to CloudFormation (or would fail there). */
export function samDeployProblems(template: JsonObject, templateBytes: number, options: SamDeployOptions): string[] {
  const problems: string[] = [];
  const sites = imageSites(template);
  const given = [options.imageRepository, options.imageRepositories, options.resolveImageRepos].filter((v) => v !== undefined && v !== false);
  if (given.length > 1) problems.push("Only one of the following can be provided: '--image-repositories', '--image-repository', '--resolve-image-repos'");
  if (!options.guided && given.length === 0 && sites.length > 0) {
    problems.push("Missing option '--image-repositories', '--image-repository', '--resolve-image-repos'");
  }
  if (options.imageRepository !== undefined && !isEcrUrl(options.imageRepository)) {
    problems.push(`Invalid Image Repository ECR URI: ${options.imageRepository}`);
  }
  if (options.imageRepositories !== undefined) {
    for (const uri of Object.values(options.imageRepositories)) if (!isEcrUrl(uri)) problems.push(`--image-repositories needs to have valid ECR URI as value: ${uri}`);
    const named = Object.keys(options.imageRepositories).sort().join(',');
    if (
      !options.resolveImageRepos &&
      named !==
        sites
          .map((site) => site.logicalId)
          .sort()
          .join(',')
    ) {
      problems.push("Incomplete list of function logical ids specified for '--image-repositories'.");
    }
  }
  for (const site of sites) {
    if (typeof site.value === 'string' && !isEcrUrl(site.value)) {
      problems.push(`${site.logicalId}: Unable to upload artifact ${site.value}: a literal image URI that is not ECR is pushed as a local image`);
    }
  }
  if (templateBytes > MAX_TEMPLATE_BODY && options.s3Bucket === undefined && !options.resolveS3) {
    problems.push(`the template is ${templateBytes} bytes: more than ${MAX_TEMPLATE_BODY} needs --s3-bucket or --resolve-s3`);
  }
  const capabilities = new Set(options.capabilities ?? []);
  const macros = transformsOf(template).filter((t) => t !== SAM_TRANSFORM);
  if (macros.length > 0 && !capabilities.has('CAPABILITY_AUTO_EXPAND')) problems.push(`${macros.join(', ')} is a macro: CAPABILITY_AUTO_EXPAND is required`);
  if (needsIam(template) && !capabilities.has('CAPABILITY_IAM') && !capabilities.has('CAPABILITY_NAMED_IAM')) {
    problems.push('the template creates IAM roles: CAPABILITY_IAM is required');
  }
  return problems;
}
