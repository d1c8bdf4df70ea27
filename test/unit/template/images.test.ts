// What a resolved image string means for the transform: invalid, kept (private ECR of the stack's region, as the
// context names it), to be mirrored into a repository named after it, or to be mirrored with no valid name for it.
import { describe, expect, it } from 'vitest';
import { InvalidImageReferenceError, UnmappableImageError } from '../../../src/reference/index.js';
import { classifyImage, createImageClassifier } from '../../../src/template/images.js';
import { context, REGION } from './fixtures.js';

const ECR = `123456789012.dkr.ecr.${REGION}.amazonaws.com`;

describe('Function: classifyImage', () => {
  it('keeps private ECR of the region, normalised', () => {
    expect(classifyImage(`${ECR}/api:1`, 'p', context())).toEqual({ kind: 'keep', image: `${ECR}/api:1` });
  });
  it('mirrors anything else into a repository named after it', () => {
    expect(classifyImage('nginx', 'p', context())).toEqual({ kind: 'mirror', image: 'docker.io/library/nginx:latest', repositoryName: 'p/docker.io/library/nginx' });
    expect(classifyImage(`123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1`, 'p', context()).kind).toBe('mirror');
  });
  it('reads private ECR with the URL suffix the context gives', () => {
    const ctx = context({ urlSuffix: 'amazonaws.com.cn' });
    expect(classifyImage(`123456789012.dkr.ecr.${REGION}.amazonaws.com.cn/api:1`, 'p', ctx).kind).toBe('keep');
    expect(classifyImage(`${ECR}/api:1`, 'p', ctx).kind).toBe('mirror');
  });
  it('says why a value is not an image reference', () => {
    const classified = classifyImage('Not An Image', 'p', context());
    expect(classified.kind).toBe('invalid');
    expect(classified.kind === 'invalid' && classified.error).toBeInstanceOf(InvalidImageReferenceError);
  });
  it('says why an image has no valid repository name', () => {
    const classified = classifyImage('quay.io/a/b:1', 'x'.repeat(250), context());
    expect(classified).toMatchObject({ kind: 'unmappable', image: 'quay.io/a/b:1' });
    expect(classified.kind === 'unmappable' && classified.error).toBeInstanceOf(UnmappableImageError);
    expect(classified.kind === 'unmappable' && classified.error.message).toContain('RepositoryPrefix');
  });
});

describe('Function: createImageClassifier', () => {
  it('classifies as classifyImage does, per repository prefix', () => {
    const ctx = context();
    const classify = createImageClassifier(ctx);
    for (const [value, prefix] of [
      ['quay.io/a/b:1', 'p1'],
      ['quay.io/a/b:1', 'p2'],
      [`${ECR}/api:1`, 'p1'],
      ['not an image!', 'p1'],
    ] as const) {
      expect(classify(value, prefix)).toEqual(classifyImage(value, prefix, ctx));
      // Asked again: the same answer, remembered.
      expect(classify(value, prefix)).toBe(classify(value, prefix));
    }
    expect(classify('quay.io/a/b:1', 'p1')).not.toEqual(classify('quay.io/a/b:1', 'p2'));
  });
});
