// Which registry a host belongs to, and whether Lambda in a given region can pull from it.
// Lambda pulls only from private ECR in the function's own region (any account whose repository
// policy allows it); FIPS endpoints, ECR Public and every other registry are refused.
import type { ImageReference } from './parse.js';

export type RegistryClass =
  | { readonly kind: 'ecr-private'; readonly accountId: string; readonly region: string; readonly urlSuffix: string }
  | { readonly kind: 'ecr-fips'; readonly accountId: string; readonly region: string; readonly urlSuffix: string }
  | { readonly kind: 'ecr-public' }
  | { readonly kind: 'docker-hub' }
  | { readonly kind: 'other' };

/** Partition DNS suffixes that ECR uses (aws, aws-cn, aws-us-gov, aws-iso, aws-iso-b, aws-iso-e/f, aws-eusc). */
const URL_SUFFIXES = [
  'amazonaws.com.cn',
  'amazonaws.com',
  'c2s.ic.gov',
  'sc2s.sgov.gov',
  'cloud.adc-e.uk',
  'csp.hci.ic.gov',
  'amazonaws.eu',
] as const;

// The first part is 2 letters in most partitions but longer in some (`eusc-de-east-1`).
const REGION = /^[a-z]{2,}(?:-[a-z]+)+-[0-9]+$/;
const ACCOUNT_ID = /^[0-9]{12}$/;
const ECR_HOST = /^([0-9]{12})\.dkr\.(ecr|ecr-fips)\.([a-z0-9-]+)\.(.+)$/;

export function isRegion(value: string): boolean {
  return REGION.test(value);
}

export function isAccountId(value: string): boolean {
  return ACCOUNT_ID.test(value);
}

/** The DNS suffix of a region's partition (what `AWS::URLSuffix` is there). */
export function urlSuffixForRegion(region: string): string {
  if (region.startsWith('cn-')) return 'amazonaws.com.cn';
  if (region.startsWith('us-iso-')) return 'c2s.ic.gov';
  if (region.startsWith('us-isob-')) return 'sc2s.sgov.gov';
  if (region.startsWith('eu-isoe-')) return 'cloud.adc-e.uk';
  if (region.startsWith('us-isof-')) return 'csp.hci.ic.gov';
  if (region.startsWith('eusc-')) return 'amazonaws.eu';
  return 'amazonaws.com';
}

/** `<account>.dkr.ecr.<region>.<suffix>`: the private ECR registry host of an account and region. */
export function ecrRegistryHost(accountId: string, region: string, urlSuffix = urlSuffixForRegion(region)): string {
  return `${accountId}.dkr.ecr.${region}.${urlSuffix}`;
}

export function classifyRegistry(host: string): RegistryClass {
  const lowered = host.toLowerCase();
  if (lowered === 'docker.io' || lowered === 'index.docker.io') return { kind: 'docker-hub' };
  if (lowered === 'public.ecr.aws') return { kind: 'ecr-public' };
  const match = ECR_HOST.exec(lowered);
  if (match) {
    const [, accountId, service, region, urlSuffix] = match as unknown as [string, string, string, string, string];
    if (isRegion(region) && (URL_SUFFIXES as readonly string[]).includes(urlSuffix)) {
      return { kind: service === 'ecr-fips' ? 'ecr-fips' : 'ecr-private', accountId, region, urlSuffix };
    }
  }
  return { kind: 'other' };
}

export interface LambdaLocation {
  readonly region: string;
  /** `AWS::URLSuffix` of the stack; derived from the region when absent. */
  readonly urlSuffix?: string;
}

/** True when Lambda in `location` can use the image as is: private ECR of that region (any account), not FIPS. */
export function isUsableByLambda(ref: ImageReference, location: LambdaLocation): boolean {
  const registry = classifyRegistry(ref.registry);
  return (
    registry.kind === 'ecr-private' &&
    registry.region === location.region &&
    registry.urlSuffix === (location.urlSuffix ?? urlSuffixForRegion(location.region))
  );
}
