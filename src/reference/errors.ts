/** A string that is not a valid image reference. `reason` says what is wrong and where. */
export class InvalidImageReferenceError extends Error {
  override readonly name = 'InvalidImageReferenceError';
  constructor(
    readonly input: string,
    readonly reason: string,
  ) {
    super(`invalid image reference ${quoteForMessage(input)}: ${reason}`);
  }
}

/** A valid reference that cannot be mapped to a private ECR repository name. */
export class UnmappableImageError extends Error {
  override readonly name = 'UnmappableImageError';
  constructor(
    readonly image: string,
    readonly reason: string,
  ) {
    super(`cannot mirror ${quoteForMessage(image)}: ${reason}`);
  }
}

/**
 * Quotes user input for an error message: JSON escaping keeps control characters and newlines
 * visible, and very long input is cut so one bad value cannot flood a response body.
 */
export function quoteForMessage(input: string, max = 200): string {
  const cut = input.length > max ? `${input.slice(0, max)}…` : input;
  return JSON.stringify(cut);
}
