// Properties of the opt-in options (MirrorParameters, Ecs) over random templates: each generated use of the parameter comes with the value the
// transform must turn it into (the oracle is built with the input, not computed from the product's code).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import {
  context,
  defaults,
  expectedMirrorId,
  expectSuccess,
  imageOf,
  lambdaFunction,
  mirrorRef,
  mirrorsOf,
  ref,
  stringParameter,
  template,
  AGENT,
  AGENT_MIRROR as MIRROR,
} from './fixtures.js';
import { propertyRuns } from '../../support/property-runs.js';

const RUNS = propertyRuns(Math.max(300, Number(process.env.TEMPLATE_PROPERTY_RUNS ?? 300)));

/** A piece of template and what it must become; `uses` counts the rewritten uses in it. */
interface Piece {
  readonly input: Json;
  readonly expected: Json;
  readonly uses: number;
}

const same = (input: Json): Piece => ({ input, expected: input, uses: 0 });

/** Fn::Sub text tokens: [input, expected when the Sub's map does not define Agent, whether it is a use]. */
const subToken = fc.constantFrom<[string, string, number]>(
  ['${Agent}', `\${${MIRROR}.ImageUri}`, 1],
  ['${!Agent}', '${!Agent}', 0],
  ['${AWS::Region}', '${AWS::Region}', 0],
  ['${Other}', '${Other}', 0],
  ['-', '-', 0],
  ['x/', 'x/', 0],
);

const subText = fc.array(subToken, { minLength: 1, maxLength: 5 }).map((tokens) => ({
  input: tokens.map(([text]) => text).join(''),
  expected: tokens.map(([, rewritten]) => rewritten).join(''),
  uses: tokens.reduce((sum, [, , use]) => sum + use, 0),
}));

const { piece } = fc.letrec<{ piece: Piece }>((tie) => ({
  piece: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<Piece>({ input: ref('Agent'), expected: mirrorRef(MIRROR), uses: 1 }),
    fc.constantFrom<Json>(ref('Other'), ref('AWS::Region'), 'quay.io/a/b:1', 7).map(same),
    subText.map((t): Piece => ({ input: { 'Fn::Sub': t.input }, expected: { 'Fn::Sub': t.expected }, uses: t.uses })),
    // The list form: a map that defines Agent shadows the parameter in the text; map values are pieces themselves.
    fc.tuple(subText, fc.boolean(), tie('piece')).map(([t, shadows, value]): Piece => {
      const name = shadows ? 'Agent' : 'Other';
      const variables: JsonObject = { [name]: value.input };
      const expectedVariables: JsonObject = { [name]: value.expected };
      return {
        input: { 'Fn::Sub': [t.input, variables] },
        expected: { 'Fn::Sub': [shadows ? t.input : t.expected, expectedVariables] },
        uses: (shadows ? 0 : t.uses) + value.uses,
      };
    }),
    fc.array(tie('piece'), { maxLength: 3 }).map(
      (items): Piece => ({
        input: { 'Fn::Join': [',', items.map((item) => item.input)] },
        expected: { 'Fn::Join': [',', items.map((item) => item.expected)] },
        uses: items.reduce((sum, item) => sum + item.uses, 0),
      }),
    ),
    fc.tuple(tie('piece'), tie('piece')).map(
      ([a, b]): Piece => ({
        input: { 'Fn::If': ['IsDefault', a.input, b.input] },
        expected: { 'Fn::If': ['IsDefault', a.expected, b.expected] },
        uses: a.uses + b.uses,
      }),
    ),
    // Resolved before any resource exists: never rewritten.
    tie('piece').map((key) => same({ 'Fn::FindInMap': ['Images', key.input, 'Image'] })),
    fc.dictionary(fc.constantFrom('a', 'b', 'Name', 'Value'), tie('piece'), { maxKeys: 3 }).map(
      (entries): Piece => ({
        input: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.input])),
        expected: Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, v.expected])),
        uses: Object.values(entries).reduce((sum, v) => sum + v.uses, 0),
      }),
    ),
  ),
}));

const entry = fc.record({ piece, condition: fc.constantFrom(undefined, 'IsDefault', 'Other') });
const scenario = fc.record({
  resources: fc.array(entry, { minLength: 1, maxLength: 4 }),
  outputs: fc.array(entry, { maxLength: 2 }),
  withLambda: fc.boolean(),
});

const SECTIONS = {
  Parameters: { Agent: stringParameter(AGENT), Other: stringParameter('x') },
  Conditions: { IsDefault: { 'Fn::Equals': [ref('Agent'), AGENT] }, Other: { 'Fn::Not': [{ Condition: 'IsDefault' }] } },
  Mappings: { Images: { [AGENT]: { Image: 'a' } } },
  Rules: { R: { Assertions: [{ Assert: { 'Fn::Not': [{ 'Fn::Equals': [ref('Agent'), ''] }] } }] } },
  Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'] } },
};

interface Entry {
  readonly piece: Piece;
  readonly condition: string | undefined;
}

function build(s: { readonly resources: readonly Entry[]; readonly outputs: readonly Entry[]; readonly withLambda: boolean }) {
  const withCondition = (condition: string | undefined) => (condition === undefined ? {} : { Condition: condition });
  const resources: JsonObject = {};
  s.resources.forEach((r, i) => {
    resources[`R${i}`] = { Type: 'AWS::SSM::Parameter', ...withCondition(r.condition), Properties: { Type: 'String', Value: r.piece.input } } as JsonObject;
  });
  if (s.withLambda) resources.F = lambdaFunction(ref('Agent'));
  const outputs: JsonObject = Object.fromEntries(s.outputs.map((o, i) => [`O${i}`, { ...withCondition(o.condition), Value: o.piece.input } as JsonObject]));
  return template(resources, { ...SECTIONS, ...(s.outputs.length > 0 ? { Outputs: outputs } : {}) });
}

describe('Property: MirrorParameters rewrites every use, and only uses', () => {
  it('each use reads the mirror; literals, shadowed names, FindInMap, Conditions, Mappings, Rules, Parameters, the Lambda site and SourceImage stay', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const input = build(s);
        const before = JSON.stringify(input);
        const result = transform(input, context(), defaults());
        const { fragment } = expectSuccess(result);
        expect(JSON.stringify(input)).toBe(before);
        const resources = fragment.Resources as JsonObject;
        s.resources.forEach((r, i) => {
          expect(((resources[`R${i}`] as JsonObject).Properties as JsonObject).Value).toEqual(r.piece.expected);
        });
        s.outputs.forEach((o, i) => {
          expect(((fragment.Outputs as JsonObject)[`O${i}`] as JsonObject).Value).toEqual(o.piece.expected);
        });
        for (const section of ['Parameters', 'Mappings', 'Rules', 'Metadata']) expect(fragment[section]).toEqual(input[section]);
        if (s.withLambda) expect(imageOf(fragment, 'F')).toEqual(mirrorRef(expectedMirrorId(ref('Agent'), 'x86_64')));

        const used = [...s.resources, ...s.outputs].filter((e) => e.piece.uses > 0);
        const mirror = mirrorsOf(fragment)[MIRROR];
        if (used.length === 0) {
          expect(mirror).toBeUndefined();
          expect(result.warnings.map((w) => w.logicalId)).toEqual(['Agent']);
          return;
        }
        expect(mirror).toBeDefined();
        expect((mirror!.Properties as JsonObject).SourceImage).toEqual(ref('Agent'));
        // The mirror exists when any use does: no Condition when one use has none, the one they share, else a new
        // condition, the Fn::Or of theirs in the order of the uses.
        const conditions = [...new Set(used.map((e) => e.condition))];
        const needed = `${MIRROR}Needed`;
        if (conditions.includes(undefined)) expect(mirror!.Condition).toBeUndefined();
        else if (conditions.length === 1) expect(mirror!.Condition).toBe(conditions[0]);
        else {
          expect(mirror!.Condition).toBe(needed);
          expect((fragment.Conditions as JsonObject)[needed]).toEqual({ 'Fn::Or': conditions.map((name) => ({ Condition: name! })) });
        }
        const { [needed]: _added, ...conditionsBefore } = fragment.Conditions as JsonObject;
        expect(conditionsBefore).toEqual(input.Conditions);
        // Idempotence: the output transformed again is the same, byte for byte.
        expect(JSON.stringify(expectSuccess(transform(fragment, context(), defaults())).fragment)).toBe(JSON.stringify(fragment));
      }),
      { numRuns: RUNS },
    );
  });
});

describe('Property: Ecs task definition sites', () => {
  const image = fc.constantFrom<Json>(AGENT, 'nginx:1.27', '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app:1', ref('Agent'), 'Not An Image', {
    'Fn::ImportValue': 'Img',
  });
  const cpu = fc.constantFrom<Json | undefined>(undefined, 'X86_64', 'ARM64', 'arm64', ref('AWS::NoValue'), ref('Other'));
  const task = fc.record({ images: fc.array(image, { minLength: 1, maxLength: 3 }), cpu, role: fc.boolean(), platforms: fc.boolean() });
  const expectedPlatform = (value: Json | undefined, platforms: boolean): JsonObject | undefined => {
    if (platforms) return { Platforms: 'all' };
    if (value === undefined || JSON.stringify(value) === JSON.stringify(ref('AWS::NoValue')) || value === 'X86_64') return { Architecture: 'x86_64' };
    if (value === 'ARM64') return { Architecture: 'arm64' };
    // 'arm64' (Lambda's spelling) and `Other` (resolves to 'x') are values ECS refuses.
    return undefined;
  };

  it('each container image outside private ECR of the region reads a mirror of its platform; others stay; idempotent', () => {
    fc.assert(
      fc.property(fc.array(task, { minLength: 1, maxLength: 3 }), (tasks) => {
        const resources: JsonObject = {};
        tasks.forEach((t, i) => {
          resources[`T${i}`] = {
            Type: 'AWS::ECS::TaskDefinition',
            ...(t.platforms ? { Metadata: { SysdigImageFix: { Platforms: 'all' } } } : {}),
            Properties: {
              ...(t.role ? { ExecutionRoleArn: 'arn:aws:iam::123456789012:role/x' } : {}),
              ...(t.cpu !== undefined ? { RuntimePlatform: { CpuArchitecture: t.cpu } } : {}),
              ContainerDefinitions: t.images.map((img, n) => ({ Name: `c${n}`, Image: img })),
            },
          };
        });
        const input = template(resources, { Parameters: SECTIONS.Parameters, Metadata: { SysdigImageFix: { Ecs: true } } });
        const result = transform(input, context(), defaults());
        const mirrored = (img: Json) => img !== '123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app:1';
        const bad = tasks.some(
          (t) => t.images.some((img) => img === 'Not An Image') || (t.images.some(mirrored) && (!t.role || expectedPlatform(t.cpu, t.platforms) === undefined)),
        );
        expect(result.ok).toBe(!bad);
        if (!result.ok) {
          expect(result.errors.every((e) => typeof e.logicalId === 'string' && e.message.startsWith(`Resource ${e.logicalId}: `))).toBe(true);
          return;
        }
        const out = result.fragment.Resources as JsonObject;
        tasks.forEach((t, i) => {
          const containers = ((out[`T${i}`] as JsonObject).Properties as JsonObject).ContainerDefinitions as JsonObject[];
          t.images.forEach((img, n) => {
            if (!mirrored(img)) {
              expect(containers[n]!.Image).toEqual(img);
              return;
            }
            const [id, attribute] = (containers[n]!.Image as JsonObject)['Fn::GetAtt'] as [string, string];
            expect(attribute).toBe('ImageUri');
            const mirror = out[id] as JsonObject;
            expect(mirror.Type).toBe('Custom::ImageMirror');
            expect(mirror.Properties).toMatchObject(expectedPlatform(t.cpu, t.platforms)!);
            expect((mirror.Properties as JsonObject).SourceImage).toEqual(typeof img === 'string' && img.startsWith('nginx') ? 'docker.io/library/nginx:1.27' : img);
          });
        });
        expect(JSON.stringify(expectSuccess(transform(result.fragment, context(), defaults())).fragment)).toBe(JSON.stringify(result.fragment));
      }),
      { numRuns: RUNS },
    );
  });
});
