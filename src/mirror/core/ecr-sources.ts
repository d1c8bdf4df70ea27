// Which private ECR repositories may be mirrored. The mirror and build roles can read ECR sources of
// this account in other regions (and of other accounts whose repository policies allow it); copying one
// puts it into a repository every Lambda function of the account may pull, so a deployer who cannot read
// a repository could read it through the transform. The macro stack's EcrSourceRepositoryArns parameter
// lists what may be read (IAM ARN patterns, `*` and `?` wildcards); the roles get exactly those, and the
// function refuses any other ECR source before it starts anything, with a reason that says so.
import { iamPatternMatches } from '../../iam.js';
import { classifyRegistry, type ImageReference } from '../../reference/index.js';

/** The environment variable (set by the macro stack) with the patterns, comma-separated; `*` is every repository. */
export const ECR_SOURCES_ENV = 'ECR_SOURCE_REPOSITORY_ARNS';
/** The macro stack parameter it comes from. */
export const ECR_SOURCES_PARAMETER = 'EcrSourceRepositoryArns';

/** `any`: the default, every ECR repository the roles' policies and the owners' repository policies allow. */
export type EcrSourcePolicy = { readonly kind: 'any' } | { readonly kind: 'none' } | { readonly kind: 'patterns'; readonly patterns: readonly string[] };

const ARN_PATTERN = /^arn:[a-z*?-]+:ecr:[a-z0-9*?-]+:(?:[0-9]{12}|[0-9*?]{1,12}):repository\/[a-z0-9._/*?-]+$/;

/** Parses the variable's value; undefined means the value is unusable (the reason is returned instead). */
export function parseEcrSources(value: string | undefined): EcrSourcePolicy | string {
  const text = (value ?? '*').trim();
  if (text === '*') return { kind: 'any' };
  if (text === '') return { kind: 'none' };
  const patterns = text.split(',').map((part) => part.trim());
  const bad = patterns.find((pattern) => !ARN_PATTERN.test(pattern));
  if (bad !== undefined) {
    return `has ${JSON.stringify(bad.slice(0, 200))}, which is not an ECR repository ARN pattern (arn:<partition>:ecr:<region>:<account>:repository/<name>, with * and ? wildcards)`;
  }
  return { kind: 'patterns', patterns };
}

/** An ARN against an IAM ARN pattern (`*`, `?`; case-sensitive, as IAM compares resources). */
export function arnMatches(pattern: string, arn: string): boolean {
  return iamPatternMatches(pattern, arn);
}

/**
 * Why `source` may not be mirrored, or undefined. Only private ECR sources (any region, FIPS too) are
 * governed; other registries are reached over the internet with their own credentials.
 */
export function ecrSourceProblem(source: ImageReference, config: { readonly partition: string; readonly ecrSources: EcrSourcePolicy }): string | undefined {
  const registry = classifyRegistry(source.registry);
  if (registry.kind !== 'ecr-private' && registry.kind !== 'ecr-fips') return undefined;
  const policy = config.ecrSources;
  if (policy.kind === 'any') return undefined;
  const arn = `arn:${config.partition}:ecr:${registry.region}:${registry.accountId}:repository/${source.repository}`;
  if (policy.kind === 'patterns' && policy.patterns.some((pattern) => arnMatches(pattern, arn))) return undefined;
  const allowed = policy.kind === 'none' ? 'none' : policy.patterns.join(', ');
  return (
    `Cannot mirror ${source.registry}/${source.repository}: the ECR repository ${arn} is not one the macro stack lets the mirror ` +
    `read (its ${ECR_SOURCES_PARAMETER} parameter allows: ${allowed}). Add a pattern for it to ${ECR_SOURCES_PARAMETER} and update ` +
    `the macro stack, or use a source the stack allows`
  );
}
