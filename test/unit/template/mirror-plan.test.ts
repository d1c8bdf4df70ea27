// The mirror namer remembers identities for one run: whatever sequence of sites it sees, each gets the identity it
// would get alone (the uncached mirrorLogicalId), and sites share an identity exactly when their sources and
// architectures are the same values.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MirrorPlatform } from '../../../src/template/architecture.js';
import { createMirrorNamer, type MirrorSource, mirrorLogicalId } from '../../../src/template/mirror-plan.js';
import type { Json } from '../../../src/template/types.js';
import { canonicalJson } from '../../../src/values.js';
import { propertyRuns } from '../../support/property-runs.js';

const image = fc.constantFrom('quay.io/a/b:1', 'docker.io/library/nginx:1.27', 'sdocker.io/library/nginx:1.27', 'j"quay.io/a/b:1"', '{"Ref":"Image"}');
const expression = fc.oneof(
  fc.constantFrom<Json>({ Ref: 'Image' }, 'quay.io/a/b:1', 's', ['x'], { 'Fn::Sub': 'quay.io/a/${Tag}' }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);
const source: fc.Arbitrary<MirrorSource> = fc.oneof(
  image.map((i): MirrorSource => ({ kind: 'literal', image: i, repositoryName: 'sysdig-image-fix/x' })),
  expression.map((e): MirrorSource => ({ kind: 'expression', expression: e })),
);
const platform: fc.Arbitrary<MirrorPlatform> = fc.oneof(
  fc.constantFrom<MirrorPlatform>({ kind: 'literal', architecture: 'x86_64' }, { kind: 'literal', architecture: 'arm64' }, { kind: 'all' }),
  expression.map((e): MirrorPlatform => ({ kind: 'expression', expression: e })),
);

/** The same JSON value with its object keys in reverse order. */
function reversedKeys(value: Json): Json {
  if (Array.isArray(value)) return value.map(reversedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const reversed: Record<string, Json> = {};
  for (const key of Object.keys(value).reverse()) Object.defineProperty(reversed, key, { value: reversedKeys(value[key] as Json), enumerable: true });
  return reversed;
}

describe('Function: createMirrorNamer', () => {
  it('gives every site, in any sequence, the identity it has alone', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(source, platform), { maxLength: 30 }), (sites) => {
        const name = createMirrorNamer();
        for (const [s, p] of sites) expect(name(s, p).logicalId).toBe(mirrorLogicalId(s, p));
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('shares an identity exactly between equal sources and architectures, whatever their key order', () => {
    fc.assert(
      fc.property(source, platform, source, platform, (s1, p1, s2, p2) => {
        const name = createMirrorNamer();
        const first = name(s1, p1);
        const reordered: MirrorSource = s1.kind === 'expression' ? { ...s1, expression: reversedKeys(s1.expression) } : s1;
        expect(name(reordered, p1)).toEqual(first);
        const identity = (s: MirrorSource, p: MirrorPlatform) => canonicalJson({ source: sourceOf(s), architecture: archOf(p) });
        expect(name(s2, p2).key === first.key).toBe(identity(s1, p1) === identity(s2, p2));
        expect(first.key).toBe(identity(s1, p1));
      }),
      { numRuns: propertyRuns(300) },
    );
  });

  it('tells a literal image from an expression whose JSON reads like it', () => {
    const name = createMirrorNamer();
    const x86: MirrorPlatform = { kind: 'literal', architecture: 'x86_64' };
    const literal = name({ kind: 'literal', image: '{"Ref":"Image"}', repositoryName: 'r' }, x86);
    const expressed = name({ kind: 'expression', expression: { Ref: 'Image' } }, x86);
    const text = name({ kind: 'expression', expression: '{"Ref":"Image"}' }, x86);
    expect(literal.logicalId).not.toBe(expressed.logicalId);
    // A literal and an expression that is the same string identify the same mirror, as the uncached identity says.
    expect(text.logicalId).toBe(literal.logicalId);
    // Likewise an architecture expression that is the string x86_64 and the literal x86_64.
    expect(name({ kind: 'expression', expression: { Ref: 'Image' } }, { kind: 'expression', expression: 'x86_64' })).toEqual(expressed);
  });
});

function sourceOf(source: MirrorSource): Json {
  return source.kind === 'literal' ? source.image : source.expression;
}

function archOf(platform: MirrorPlatform): Json {
  return platform.kind === 'all' ? 'all' : platform.kind === 'literal' ? platform.architecture : platform.expression;
}
