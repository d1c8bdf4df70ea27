// Where users point: Lambda's ImageUri and ResolvedImageUri (moto 5.2.1's broken answers included), ECS container
// images, and the physical ids of Custom::ImageMirror resources.
import { describe, expect, it } from 'vitest';
import { functionPointer, mirrorPointer, taskDefinitionPointers } from '../../../src/ops/references.js';
import { digest, REGISTRY, uri } from './world.js';

const REPO = 'sysdig-image-fix/quay.io/e2e/app';
const REPO_URI = `${REGISTRY}/${REPO}`;

describe('Function: functionPointer', () => {
  it('trusts a digest-pinned ImageUri over moto 5.2.1\'s broken ResolvedImageUri ("...@sha256@sha256:<random>")', () => {
    const pinned = uri(REPO, digest('a'));
    const pointer = functionPointer({ name: 'fn', imageUri: pinned, resolvedImageUri: `${REPO_URI}@sha256@sha256:${'bd'.repeat(32)}` });
    expect(pointer).toEqual({ user: { kind: 'function', name: 'fn' }, repositoryUri: REPO_URI, digest: digest('a') });
  });

  it('trusts a digest-pinned ImageUri even when ResolvedImageUri names another digest', () => {
    const pointer = functionPointer({ name: 'fn', imageUri: uri(REPO, digest('a')), resolvedImageUri: uri(REPO, digest('b')) });
    expect(pointer?.digest).toBe(digest('a'));
    expect(pointer?.resolved).toBeUndefined();
  });

  it('takes the digest Lambda resolved for an ImageUri by tag, marked as resolved (the analysis checks the repository holds it)', () => {
    const pointer = functionPointer({ name: 'fn', imageUri: uri(REPO, '1.0'), resolvedImageUri: uri(REPO, digest('b')) });
    expect(pointer).toEqual({ user: { kind: 'function', name: 'fn' }, repositoryUri: REPO_URI, tag: '1.0', digest: digest('b'), resolved: 'lambda' });
  });

  it('says the digest is unknown when ResolvedImageUri is missing, malformed or names another repository', () => {
    for (const resolvedImageUri of [undefined, `${REPO_URI}@sha256@sha256:${'bd'.repeat(32)}`, uri('other/repo', digest('b'))]) {
      const pointer = functionPointer({ name: 'fn', imageUri: uri(REPO, '1.0'), ...(resolvedImageUri !== undefined ? { resolvedImageUri } : {}) });
      expect(pointer?.digest).toBeUndefined();
      expect(pointer?.tag).toBe('1.0');
      expect(pointer?.unknownDigest).toMatch(/^Lambda gives (no ResolvedImageUri|ResolvedImageUri .+), not .+@sha256:<digest>$/);
    }
  });

  it('ignores functions without an image and ImageUri values that are not references', () => {
    expect(functionPointer({ name: 'zip' })).toBeUndefined();
    expect(functionPointer({ name: 'bad', imageUri: 'not a reference' })).toBeUndefined();
  });
});

describe('Function: taskDefinitionPointers', () => {
  it('reads each container: by digest (also tag@digest, which ECS pulls by digest) or by tag (latest when none)', () => {
    const pointers = taskDefinitionPointers({
      name: 'web:3',
      containers: [
        { name: 'a', image: uri(REPO, digest('a')) },
        { name: 'b', image: `${REPO_URI}:2.0@${digest('b')}` },
        { name: 'c', image: `${REPO_URI}:2.0` },
        { name: 'd', image: REPO_URI },
        { name: 'e', image: 'nginx' },
      ],
    });
    expect(pointers.map((p) => [p.user.name, p.repositoryUri, p.digest ?? p.tag])).toEqual([
      ['web:3 (a)', REPO_URI, digest('a')],
      ['web:3 (b)', REPO_URI, digest('b')],
      ['web:3 (c)', REPO_URI, '2.0'],
      ['web:3 (d)', REPO_URI, 'latest'],
      ['web:3 (e)', 'docker.io/library/nginx', 'latest'],
    ]);
  });
});

describe('Function: mirrorPointer', () => {
  it('reads the ImageUri the mirror answered as its physical id', () => {
    expect(mirrorPointer('app', { logicalId: 'ImageMirror1a2b3c4d', physicalId: uri(REPO, digest('a')), status: 'UPDATE_COMPLETE' })).toEqual({
      pointer: { user: { kind: 'stack', name: 'app/ImageMirror1a2b3c4d' }, repositoryUri: REPO_URI, digest: digest('a') },
    });
  });

  it("names what is not an image: a failed create placeholder, moto's generated names, a tag, nothing", () => {
    for (const physicalId of ['sysdig-image-fix-failed-1234', 'app-M-WFZ0XYJH9QRJ', uri(REPO, '1.0'), undefined]) {
      const read = mirrorPointer('app', { logicalId: 'M', ...(physicalId !== undefined ? { physicalId } : {}), status: 'CREATE_COMPLETE' });
      expect(read).toEqual({ problem: expect.stringMatching(/^app\/M \(CREATE_COMPLETE\) has (physical id .+|no physical id), not an image/) });
    }
  });
});
