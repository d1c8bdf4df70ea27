// What a site's resolved image string means for the transform: invalid, usable by Lambda as it is,
// or to be mirrored into a target repository. Templates repeat a few images across many functions,
// so each distinct (value, repository prefix) is parsed and named once per transform run.
import {
  formatImageReference,
  isUsableByLambda,
  targetRepositoryName,
  tryParseImageReference,
  UnmappableImageError,
  type InvalidImageReferenceError,
} from '../reference/index.js';
import type { TransformContext } from './types.js';

export type ImageClass =
  | { readonly kind: 'invalid'; readonly error: InvalidImageReferenceError }
  /** Private ECR of the stack's region: Lambda pulls it as it is. */
  | { readonly kind: 'keep'; readonly image: string }
  | { readonly kind: 'mirror'; readonly image: string; readonly repositoryName: string }
  /** To be mirrored, but no valid target repository name exists for it. */
  | { readonly kind: 'unmappable'; readonly image: string; readonly error: UnmappableImageError };

export type ImageClassifier = (value: string, repositoryPrefix: string) => ImageClass;

/** `image` is the normalised reference of every class but `invalid`. */
export function classifyImage(value: string, repositoryPrefix: string, context: TransformContext): ImageClass {
  const parsed = tryParseImageReference(value);
  if (!parsed.ok) return { kind: 'invalid', error: parsed.error };
  const image = formatImageReference(parsed.reference);
  const { region, urlSuffix } = context;
  if (isUsableByLambda(parsed.reference, { region, ...(urlSuffix ? { urlSuffix } : {}) })) return { kind: 'keep', image };
  try {
    return { kind: 'mirror', image, repositoryName: targetRepositoryName(parsed.reference, repositoryPrefix) };
  } catch (error) {
    if (!(error instanceof UnmappableImageError)) throw error;
    return { kind: 'unmappable', image, error };
  }
}

/** `classifyImage` remembered per (value, prefix) for one run (nothing outlives the run). */
export function createImageClassifier(context: TransformContext): ImageClassifier {
  const byPrefix = new Map<string, Map<string, ImageClass>>();
  return (value, repositoryPrefix) => {
    let byValue = byPrefix.get(repositoryPrefix);
    if (byValue === undefined) {
      byValue = new Map();
      byPrefix.set(repositoryPrefix, byValue);
    }
    let found = byValue.get(value);
    if (found === undefined) {
      found = classifyImage(value, repositoryPrefix, context);
      byValue.set(value, found);
    }
    return found;
  };
}
