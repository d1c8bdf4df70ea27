import { describe, expect, it } from 'vitest';
import {
  classifyRegistry,
  ecrRegistryHost,
  isAccountId,
  isRegion,
  isUsableByLambda,
  parseImageReference,
  urlSuffixForRegion,
  type LambdaLocation,
  type RegistryClass,
} from '../../../src/reference/index.js';

const ACCOUNT = '123456789012';
const OTHER_ACCOUNT = '210987654321';

const privateEcr = (region: string, urlSuffix: string, accountId = ACCOUNT): RegistryClass => ({
  kind: 'ecr-private',
  accountId,
  region,
  urlSuffix,
});
const fipsEcr = (region: string, urlSuffix: string): RegistryClass => ({ kind: 'ecr-fips', accountId: ACCOUNT, region, urlSuffix });

describe('Function: classifyRegistry', () => {
  it.each<[string, RegistryClass]>([
    // private ECR in each partition
    [`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`, privateEcr('us-east-1', 'amazonaws.com')],
    [`${OTHER_ACCOUNT}.dkr.ecr.ap-northeast-1.amazonaws.com`, privateEcr('ap-northeast-1', 'amazonaws.com', OTHER_ACCOUNT)],
    [`${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn`, privateEcr('cn-north-1', 'amazonaws.com.cn')],
    [`${ACCOUNT}.dkr.ecr.cn-northwest-1.amazonaws.com.cn`, privateEcr('cn-northwest-1', 'amazonaws.com.cn')],
    [`${ACCOUNT}.dkr.ecr.us-gov-west-1.amazonaws.com`, privateEcr('us-gov-west-1', 'amazonaws.com')],
    [`${ACCOUNT}.dkr.ecr.us-gov-east-1.amazonaws.com`, privateEcr('us-gov-east-1', 'amazonaws.com')],
    [`${ACCOUNT}.dkr.ecr.us-iso-east-1.c2s.ic.gov`, privateEcr('us-iso-east-1', 'c2s.ic.gov')],
    [`${ACCOUNT}.dkr.ecr.us-isob-east-1.sc2s.sgov.gov`, privateEcr('us-isob-east-1', 'sc2s.sgov.gov')],
    [`${ACCOUNT}.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk`, privateEcr('eu-isoe-west-1', 'cloud.adc-e.uk')],
    [`${ACCOUNT}.dkr.ecr.us-isof-south-1.csp.hci.ic.gov`, privateEcr('us-isof-south-1', 'csp.hci.ic.gov')],
    [`${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu`, privateEcr('eusc-de-east-1', 'amazonaws.eu')],
    [`${ACCOUNT}.DKR.ECR.US-EAST-1.AMAZONAWS.COM`, privateEcr('us-east-1', 'amazonaws.com')],
    // FIPS endpoints
    [`${ACCOUNT}.dkr.ecr-fips.us-east-1.amazonaws.com`, fipsEcr('us-east-1', 'amazonaws.com')],
    [`${ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com`, fipsEcr('us-gov-west-1', 'amazonaws.com')],
    // ECR Public, Docker Hub
    ['public.ecr.aws', { kind: 'ecr-public' }],
    ['docker.io', { kind: 'docker-hub' }],
    ['index.docker.io', { kind: 'docker-hub' }],
    ['Docker.IO', { kind: 'docker-hub' }],
    // everything else, including look-alikes of ECR hosts
    ['quay.io', { kind: 'other' }],
    ['ghcr.io', { kind: 'other' }],
    ['localhost:5000', { kind: 'other' }],
    ['registry-1.docker.io', { kind: 'other' }],
    [`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com.evil.example`, { kind: 'other' }],
    [`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com:443`, { kind: 'other' }],
    [`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.co`, { kind: 'other' }],
    [`12345678901.dkr.ecr.us-east-1.amazonaws.com`, { kind: 'other' }],
    [`${ACCOUNT}.dkr.ecr.notaregion.amazonaws.com`, { kind: 'other' }],
    [`${ACCOUNT}.dkr.ecr.us-east-1a.amazonaws.com`, { kind: 'other' }],
    [`${ACCOUNT}.dkr-ecr.us-east-1.on.aws`, { kind: 'other' }],
    [`evil.${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`, { kind: 'other' }],
  ])('%s', (host, want) => {
    expect(classifyRegistry(host)).toStrictEqual(want);
  });
});

describe('Function: isUsableByLambda', () => {
  // [image, Lambda location, usable as is]
  it.each<[string, LambdaLocation, boolean]>([
    [`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:1`, { region: 'us-east-1' }, true],
    [`${OTHER_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:1`, { region: 'us-east-1' }, true],
    [`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:1`, { region: 'us-east-1', urlSuffix: 'amazonaws.com' }, true],
    [`${ACCOUNT}.DKR.ECR.US-EAST-1.AMAZONAWS.COM/app:1`, { region: 'us-east-1' }, true],
    [`${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/app@sha256:${'a'.repeat(64)}`, { region: 'cn-north-1' }, true],
    [`${ACCOUNT}.dkr.ecr.us-gov-west-1.amazonaws.com/app:1`, { region: 'us-gov-west-1' }, true],
    [`${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu/app:1`, { region: 'eusc-de-east-1' }, true],
    // other region
    [`${ACCOUNT}.dkr.ecr.us-west-2.amazonaws.com/app:1`, { region: 'us-east-1' }, false],
    [`${ACCOUNT}.dkr.ecr.us-gov-west-1.amazonaws.com/app:1`, { region: 'us-gov-east-1' }, false],
    // other partition suffix
    [`${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1`, { region: 'cn-north-1', urlSuffix: 'amazonaws.com' }, false],
    [`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/app:1`, { region: 'us-east-1', urlSuffix: 'amazonaws.com.cn' }, false],
    [`${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com/app:1`, { region: 'cn-north-1' }, false],
    // FIPS, public, other registries
    [`${ACCOUNT}.dkr.ecr-fips.us-east-1.amazonaws.com/app:1`, { region: 'us-east-1' }, false],
    [`${ACCOUNT}.dkr.ecr-fips.us-gov-west-1.amazonaws.com/app:1`, { region: 'us-gov-west-1' }, false],
    ['public.ecr.aws/lambda/nodejs:20', { region: 'us-east-1' }, false],
    ['nginx', { region: 'us-east-1' }, false],
    ['quay.io/sysdig/serverless-patcher:5.0.1', { region: 'us-east-1' }, false],
    [`${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com:443/app:1`, { region: 'us-east-1' }, false],
  ])('%s in %j -> %s', (image, location, want) => {
    expect(isUsableByLambda(parseImageReference(image), location)).toBe(want);
  });
});

describe('Function: urlSuffixForRegion', () => {
  it.each<[string, string]>([
    ['us-east-1', 'amazonaws.com'],
    ['eu-west-1', 'amazonaws.com'],
    ['ap-southeast-5', 'amazonaws.com'],
    ['us-gov-west-1', 'amazonaws.com'],
    ['cn-north-1', 'amazonaws.com.cn'],
    ['cn-northwest-1', 'amazonaws.com.cn'],
    ['us-iso-east-1', 'c2s.ic.gov'],
    ['us-isob-east-1', 'sc2s.sgov.gov'],
    ['eu-isoe-west-1', 'cloud.adc-e.uk'],
    ['us-isof-south-1', 'csp.hci.ic.gov'],
    ['eusc-de-east-1', 'amazonaws.eu'],
  ])('%s -> %s', (region, suffix) => {
    expect(urlSuffixForRegion(region)).toBe(suffix);
  });
});

describe('Function: ecrRegistryHost', () => {
  it.each<[string, string, string | undefined, string]>([
    [ACCOUNT, 'us-east-1', undefined, `${ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com`],
    [ACCOUNT, 'cn-north-1', undefined, `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn`],
    [ACCOUNT, 'us-gov-west-1', undefined, `${ACCOUNT}.dkr.ecr.us-gov-west-1.amazonaws.com`],
    [ACCOUNT, 'eusc-de-east-1', undefined, `${ACCOUNT}.dkr.ecr.eusc-de-east-1.amazonaws.eu`],
    [ACCOUNT, 'us-east-1', 'example.test', `${ACCOUNT}.dkr.ecr.us-east-1.example.test`],
  ])('(%s, %s, %s) -> %s', (account, region, suffix, want) => {
    expect(ecrRegistryHost(account, region, suffix)).toBe(want);
  });

  it.each(['us-east-1', 'cn-north-1', 'us-gov-east-1', 'us-iso-east-1', 'us-isob-east-1', 'eu-isoe-west-1', 'us-isof-south-1', 'eusc-de-east-1'])(
    'builds a host that Lambda in %s can use',
    (region) => {
      const image = parseImageReference(`${ecrRegistryHost(ACCOUNT, region)}/app:1`);
      expect(classifyRegistry(image.registry)).toMatchObject({ kind: 'ecr-private', accountId: ACCOUNT, region });
      expect(isUsableByLambda(image, { region })).toBe(true);
    },
  );
});

describe('Function: isRegion', () => {
  it.each<[string, boolean]>([
    ['us-east-1', true],
    ['us-gov-west-1', true],
    ['us-isob-east-1', true],
    ['eusc-de-east-1', true],
    ['us-east', false],
    ['US-EAST-1', false],
    ['us_east_1', false],
    ['', false],
  ])('%j -> %s', (value, want) => {
    expect(isRegion(value)).toBe(want);
  });
});

describe('Function: isAccountId', () => {
  it.each<[string, boolean]>([
    [ACCOUNT, true],
    ['000000000000', true],
    ['12345678901', false],
    ['1234567890123', false],
    ['12345678901a', false],
    ['', false],
  ])('%j -> %s', (value, want) => {
    expect(isAccountId(value)).toBe(want);
  });
});
