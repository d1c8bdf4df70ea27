// Choosing the platform manifest a Lambda function can run.
import { describe, expect, it } from 'vitest';
import type { Descriptor } from '../../../../src/mirror/registry/media.js';
import { availablePlatforms, choosePlatformEntry, isAttestation } from '../../../../src/mirror/registry/platform.js';

function entry(platform: Descriptor['platform'], name: string, annotations?: Record<string, string>): Descriptor {
  // The digest only has to be unique per entry; the name makes failures readable.
  const hex = Buffer.from(name).toString('hex').padEnd(64, '0').slice(0, 64);
  return {
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: `sha256:${hex}`,
    size: 500,
    ...(platform !== undefined ? { platform } : {}),
    ...(annotations !== undefined ? { annotations } : {}),
  };
}

const amd64 = entry({ os: 'linux', architecture: 'amd64' }, 'amd64');
const amd64v3 = entry({ os: 'linux', architecture: 'amd64', variant: 'v3' }, 'amd64v3');
const arm64 = entry({ os: 'linux', architecture: 'arm64' }, 'arm64');
const arm64v8 = entry({ os: 'linux', architecture: 'arm64', variant: 'v8' }, 'arm64v8');
const armv7 = entry({ os: 'linux', architecture: 'arm', variant: 'v7' }, 'armv7');
const windows = entry({ os: 'windows', architecture: 'amd64' }, 'windows');
const unknown = entry({ os: 'unknown', architecture: 'unknown' }, 'unknown');
const amd64v1 = entry({ os: 'linux', architecture: 'amd64', variant: 'v1' }, 'amd64v1');
const arm64v9 = entry({ os: 'linux', architecture: 'arm64', variant: 'v9' }, 'arm64v9');
const noPlatform = entry(undefined, 'noplatform');
const annotatedAttestation = entry({ os: 'linux', architecture: 'arm64' }, 'attest', {
  'vnd.docker.reference.type': 'attestation-manifest',
});

describe('Function: choosePlatformEntry', () => {
  it('prefers arm64 variant v8 over no variant when both exist, in either order', () => {
    expect(choosePlatformEntry([arm64, arm64v8], 'arm64')).toBe(arm64v8);
    expect(choosePlatformEntry([arm64v8, arm64], 'arm64')).toBe(arm64v8);
  });

  it('takes arm64 without a variant when it is the only arm64 entry', () => {
    expect(choosePlatformEntry([amd64, arm64], 'arm64')).toBe(arm64);
  });

  it('takes linux/amd64 for x86_64 and ignores windows/amd64 and micro-architecture variants', () => {
    expect(choosePlatformEntry([windows, amd64v3, amd64], 'x86_64')).toBe(amd64);
    expect(choosePlatformEntry([windows, amd64v3], 'x86_64')).toBeUndefined();
  });

  it('never picks an attestation, even one that claims a real platform', () => {
    expect(choosePlatformEntry([annotatedAttestation, unknown], 'arm64')).toBeUndefined();
    expect(choosePlatformEntry([annotatedAttestation, arm64v8], 'arm64')).toBe(arm64v8);
  });

  it('takes amd64 variant v1 (the baseline) for x86_64 when nothing better is there, and never arm64 variants other than v8', () => {
    expect(choosePlatformEntry([amd64v3, amd64v1], 'x86_64')).toBe(amd64v1);
    expect(choosePlatformEntry([amd64v1, amd64], 'x86_64')).toBe(amd64);
    expect(choosePlatformEntry([arm64v9], 'arm64')).toBeUndefined();
    expect(choosePlatformEntry([arm64v9, arm64], 'arm64')).toBe(arm64);
  });

  it('takes the first of equally good entries, and skips entries without a platform', () => {
    const second = entry({ os: 'linux', architecture: 'amd64' }, 'second');
    expect(choosePlatformEntry([noPlatform, amd64, second], 'x86_64')).toBe(amd64);
    expect(choosePlatformEntry([noPlatform], 'x86_64')).toBeUndefined();
  });

  it('does not match 32-bit arm for arm64', () => {
    expect(choosePlatformEntry([armv7], 'arm64')).toBeUndefined();
  });
});

describe('Function: availablePlatforms', () => {
  it('lists platforms in index order with variants, without attestations or duplicates', () => {
    expect(availablePlatforms([amd64, unknown, arm64v8, annotatedAttestation, armv7, amd64, windows])).toEqual([
      'linux/amd64',
      'linux/arm64/v8',
      'linux/arm/v7',
      'windows/amd64',
    ]);
    expect(availablePlatforms([noPlatform, arm64])).toEqual(['linux/arm64']);
  });
});

describe('Function: isAttestation', () => {
  it('recognises unknown/unknown and the buildx annotation, and nothing else', () => {
    expect([unknown, annotatedAttestation, amd64, arm64v8].map(isAttestation)).toEqual([true, true, false, false]);
    const halfUnknown = [entry({ os: 'unknown', architecture: 'arm64' }, 'u1'), entry({ os: 'linux', architecture: 'unknown' }, 'u2')];
    expect([...halfUnknown, noPlatform].map(isAttestation)).toEqual([false, false, false]);
  });
});
