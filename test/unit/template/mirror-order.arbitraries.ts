// Generated templates for the mirror order and condition properties: functions with DependsOn, Condition and
// Fn::If/AWS::NoValue images, among other resources (shared by the unit properties and the cfn-lint/SAM checks).
import fc from 'fast-check';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { equals, ifThen, NO_VALUE, ref, template } from './fixtures.js';

export const CONDITIONS = ['C1', 'C2', 'C3'] as const;
export const IMAGES = ['quay.io/org/a:1', 'quay.io/org/b:1'];
export const OTHERS = ['T0', 'T1', 'T2'];
export const FUNCTIONS = ['F0', 'F1', 'F2', 'F3'];

const { image } = fc.letrec<{ image: Json }>((tie) => ({
  image: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom<Json>(...IMAGES, ref('Img')),
    fc.tuple(fc.constantFrom(...CONDITIONS), tie('image'), fc.constantFrom<Json>(NO_VALUE, ...IMAGES)).map(([c, a, b]) => ifThen(c, a, b)),
    fc.tuple(fc.constantFrom(...CONDITIONS), tie('image')).map(([c, a]) => ifThen(c, NO_VALUE, a)),
  ),
}));

const condition = fc.option(fc.constantFrom(...CONDITIONS), { nil: undefined });
const dependsOn = fc.subarray([...OTHERS, ...FUNCTIONS], { maxLength: 3 });

/** A generated template: each condition tests a parameter of its own, so they are independent booleans (for cfn-lint too). */
export const generated = fc
  .record({
    others: fc.tuple(condition, condition, condition),
    functions: fc.array(fc.record({ image, condition, dependsOn, viaSub: fc.boolean() }), { minLength: 1, maxLength: FUNCTIONS.length }),
  })
  .map(({ others, functions }): JsonObject => {
    const resources: JsonObject = {};
    OTHERS.forEach((id, i) => {
      resources[id] = { Type: 'AWS::SNS::Topic', ...(others[i] !== undefined ? { Condition: others[i] } : {}) };
    });
    functions.forEach((f, i) => {
      const id = FUNCTIONS[i]!;
      // Only earlier functions, as the reference below: the input itself has no cycle.
      const waits = f.dependsOn.filter((name) => !FUNCTIONS.includes(name) || FUNCTIONS.indexOf(name) < i);
      resources[id] = {
        Type: 'AWS::Lambda::Function',
        ...(f.condition !== undefined ? { Condition: f.condition } : {}),
        ...(waits.length > 0 ? { DependsOn: waits } : {}),
        Properties: {
          PackageType: 'Image',
          Role: 'arn:aws:iam::123456789012:role/fn',
          Code: { ImageUri: f.image },
          // A reference makes chains through resources (F1's Environment names F0), so cycles can only be avoided.
          ...(f.viaSub && i > 0 ? { Environment: { Variables: { PREVIOUS: ref(FUNCTIONS[i - 1]!) } } } : {}),
        },
      };
    });
    return template(resources, {
      Parameters: {
        Img: { Type: 'String', Default: 'quay.io/org/c:1' },
        ...Object.fromEntries(CONDITIONS.map((name) => [`Use${name}`, { Type: 'String', Default: 'no', AllowedValues: ['yes', 'no'] }])),
      },
      Conditions: Object.fromEntries(CONDITIONS.map((name) => [name, equals(ref(`Use${name}`), 'yes')])),
    });
  });

/** The conditions an image's Fn::Ifs test, along each path from the top: a repeat is a branch never taken. */
function repeatsCondition(image: Json, taken: readonly string[]): boolean {
  if (typeof image !== 'object' || image === null || Array.isArray(image) || !Array.isArray(image['Fn::If'])) return false;
  const [name, a, b] = image['Fn::If'] as [string, Json, Json];
  return taken.includes(name) || repeatsCondition(a, [...taken, name]) || repeatsCondition(b, [...taken, name]);
}

/**
 * Templates without a branch that can never be taken (an Fn::If on a condition its resource or an outer Fn::If
 * already decides): cfn-lint finds nothing about conditions in them, so anything it finds in the output is new.
 */
export const reachable = generated.filter((t) =>
  Object.values(t.Resources as JsonObject).every((resource) => {
    const r = resource as JsonObject;
    if (r.Type !== 'AWS::Lambda::Function') return true;
    const image = ((r.Properties as JsonObject).Code as JsonObject).ImageUri as Json;
    return !repeatsCondition(image, typeof r.Condition === 'string' ? [r.Condition] : []);
  }),
);
