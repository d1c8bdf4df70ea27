// Which registry a host belongs to, and whether Lambda in a given region can pull from it.
// Lambda pulls only from private ECR in the function's own region (any account whose repository
// policy allows it); FIPS endpoints, ECR Public and every other registry are refused.
import { canonicalRegistryHost, DOCKER_HUB, type ImageReference } from './parse.js';

export type RegistryClass =
  | { readonly kind: 'ecr-private'; readonly accountId: string; readonly region: string; readonly urlSuffix: string }
  | { readonly kind: 'ecr-fips'; readonly accountId: string; readonly region: string; readonly urlSuffix: string }
  | { readonly kind: 'ecr-public' }
  | { readonly kind: 'docker-hub' }
  | { readonly kind: 'other' };

/**
 * AWS partitions by region prefix: the `AWS::Partition` name and the DNS suffix ECR uses there
 * (`AWS::URLSuffix`). Ordered so that the more specific prefix wins (`us-isob-` before `us-iso-`).
 */
const PARTITIONS = [
  { regionPrefix: 'cn-', partition: 'aws-cn', urlSuffix: 'amazonaws.com.cn' },
  { regionPrefix: 'us-gov-', partition: 'aws-us-gov', urlSuffix: 'amazonaws.com' },
  { regionPrefix: 'us-isob-', partition: 'aws-iso-b', urlSuffix: 'sc2s.sgov.gov' },
  { regionPrefix: 'us-isof-', partition: 'aws-iso-f', urlSuffix: 'csp.hci.ic.gov' },
  { regionPrefix: 'us-iso-', partition: 'aws-iso', urlSuffix: 'c2s.ic.gov' },
  { regionPrefix: 'eu-isoe-', partition: 'aws-iso-e', urlSuffix: 'cloud.adc-e.uk' },
  { regionPrefix: 'eusc-', partition: 'aws-eusc', urlSuffix: 'amazonaws.eu' },
] as const;
const COMMERCIAL = { partition: 'aws', urlSuffix: 'amazonaws.com' } as const;

function partitionOf(region: string): { readonly partition: string; readonly urlSuffix: string } {
  return PARTITIONS.find((entry) => region.startsWith(entry.regionPrefix)) ?? COMMERCIAL;
}

/** Every DNS suffix ECR uses, for recognising ECR hosts. */
const URL_SUFFIXES: readonly string[] = [...new Set([COMMERCIAL.urlSuffix, ...PARTITIONS.map((entry) => entry.urlSuffix)])];

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
  return partitionOf(region).urlSuffix;
}

/** `AWS::Partition` of a region. */
export function partitionForRegion(region: string): string {
  return partitionOf(region).partition;
}

/** `<account>.dkr.ecr.<region>.<suffix>`: the private ECR registry host of an account and region. */
export function ecrRegistryHost(accountId: string, region: string, urlSuffix = urlSuffixForRegion(region)): string {
  return `${accountId}.dkr.ecr.${region}.${urlSuffix}`;
}

export function classifyRegistry(host: string): RegistryClass {
  const lowered = host.toLowerCase();
  if (canonicalRegistryHost(host) === DOCKER_HUB) return { kind: 'docker-hub' };
  if (lowered === 'public.ecr.aws') return { kind: 'ecr-public' };
  const match = ECR_HOST.exec(lowered);
  if (match) {
    const [, accountId, service, region, urlSuffix] = match as unknown as [string, string, string, string, string];
    if (isRegion(region) && URL_SUFFIXES.includes(urlSuffix)) {
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
  return registry.kind === 'ecr-private' && registry.region === location.region && registry.urlSuffix === (location.urlSuffix ?? urlSuffixForRegion(location.region));
}
