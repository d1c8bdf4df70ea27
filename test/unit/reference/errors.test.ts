import { describe, expect, it } from 'vitest';
import { InvalidImageReferenceError, UnmappableImageError, quoteForMessage } from '../../../src/reference/index.js';

describe('Class: InvalidImageReferenceError', () => {
  it('is a named Error carrying the input and the reason', () => {
    const error = new InvalidImageReferenceError('nginx;id', 'bad');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('InvalidImageReferenceError');
    expect(error.input).toBe('nginx;id');
    expect(error.reason).toBe('bad');
    expect(error.message).toBe('invalid image reference "nginx;id": bad');
  });

  it('keeps control characters visible and the message on one line', () => {
    const error = new InvalidImageReferenceError('nginx\n$(id)\u0000', 'bad');
    expect(error.message).toBe('invalid image reference "nginx\\n$(id)\\u0000": bad');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the message must not hold a NUL
    expect(error.message).not.toMatch(/[\n\u0000]/);
  });
});

describe('Class: UnmappableImageError', () => {
  it('is a named Error carrying the image and the reason', () => {
    const error = new UnmappableImageError('quay.io/x:1', 'too long');
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('UnmappableImageError');
    expect(error.image).toBe('quay.io/x:1');
    expect(error.reason).toBe('too long');
    expect(error.message).toBe('cannot mirror "quay.io/x:1": too long');
  });
});

describe('Function: quoteForMessage', () => {
  it.each<[string, number | undefined, string]>([
    ['nginx', undefined, '"nginx"'],
    ['a"b', undefined, '"a\\"b"'],
    ['a\tb\r\n', undefined, '"a\\tb\\r\\n"'],
    ['x'.repeat(200), undefined, `"${'x'.repeat(200)}"`],
    ['x'.repeat(201), undefined, `"${'x'.repeat(200)}…"`],
    ['abcdef', 3, '"abc…"'],
  ])('quotes %j (max %s) as %s', (input, max, want) => {
    expect(quoteForMessage(input, max)).toBe(want);
  });
});
