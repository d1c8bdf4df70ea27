// Properties of mirror order and conditions over generated sites with DependsOn, Condition and Fn::If/AWS::NoValue.
// The oracle evaluates input and output under every assignment of the template's conditions (they are free
// booleans here): it never reads the product's formulas, only what CloudFormation would do with each template.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import { context, defaults, expectSuccess } from './fixtures.js';
import { CONDITIONS, FUNCTIONS, generated } from './mirror-order.arbitraries.js';
import { propertyRuns } from '../../support/property-runs.js';

const FULL_RUNS = Math.max(200, Number(process.env.TEMPLATE_PROPERTY_RUNS ?? 200));
const RUNS = propertyRuns(FULL_RUNS);
const isObject = (value: unknown): value is JsonObject => typeof value === 'object' && value !== null && !Array.isArray(value);

type Assignment = Readonly<Record<string, boolean>>;

const ASSIGNMENTS: Assignment[] = Array.from({ length: 2 ** CONDITIONS.length }, (_, bits) =>
  Object.fromEntries(CONDITIONS.map((name, i) => [name, ((bits >> i) & 1) === 1])),
);

/** A condition function as CloudFormation evaluates it, with the template's own conditions as free booleans. */
function holds(body: Json, conditions: JsonObject, assignment: Assignment): boolean {
  if (!isObject(body)) throw new Error(`not a condition: ${JSON.stringify(body)}`);
  if (typeof body.Condition === 'string') return conditionHolds(body.Condition, conditions, assignment);
  if (Array.isArray(body['Fn::Not'])) return !holds(body['Fn::Not'][0] as Json, conditions, assignment);
  if (Array.isArray(body['Fn::And'])) return body['Fn::And'].every((member) => holds(member as Json, conditions, assignment));
  if (Array.isArray(body['Fn::Or'])) return body['Fn::Or'].some((member) => holds(member as Json, conditions, assignment));
  throw new Error(`unexpected condition ${JSON.stringify(body)}`);
}

function conditionHolds(name: string, conditions: JsonObject, assignment: Assignment): boolean {
  if (Object.hasOwn(assignment, name)) return assignment[name]!;
  return holds(conditions[name] as Json, conditions, assignment);
}

const exists = (resource: JsonObject, conditions: JsonObject, assignment: Assignment): boolean =>
  typeof resource.Condition !== 'string' || conditionHolds(resource.Condition, conditions, assignment);

/** A value with its Fn::Ifs taken; undefined for AWS::NoValue. */
function evaluated(value: Json, assignment: Assignment): Json | undefined {
  if (isObject(value) && value.Ref === 'AWS::NoValue') return undefined;
  if (isObject(value) && Array.isArray(value['Fn::If'])) {
    const [name, a, b] = value['Fn::If'] as [string, Json, Json];
    return evaluated(assignment[name] ? a : b, assignment);
  }
  return value;
}

/** Names a value refers to (Ref, GetAtt). */
function references(value: Json, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) references(item, found);
  else if (isObject(value)) {
    if (typeof value.Ref === 'string') found.add(value.Ref);
    if (Array.isArray(value['Fn::GetAtt'])) found.add(value['Fn::GetAtt'][0] as string);
    for (const item of Object.values(value)) references(item, found);
  }
  return found;
}

function hasCycle(resources: JsonObject): boolean {
  const edges = new Map(
    Object.entries(resources).map(([id, resource]) => {
      const r = resource as JsonObject;
      const waits = typeof r.DependsOn === 'string' ? [r.DependsOn] : ((r.DependsOn ?? []) as string[]);
      return [id, [...references(r), ...waits].filter((name) => Object.hasOwn(resources, name))];
    }),
  );
  const state = new Map<string, 'open' | 'done'>();
  const visit = (id: string): boolean => {
    if (state.get(id) === 'done') return false;
    if (state.get(id) === 'open') return true;
    state.set(id, 'open');
    const cyclic = edges.get(id)!.some(visit);
    state.set(id, 'done');
    return cyclic;
  };
  return [...edges.keys()].some(visit);
}

const imageOf = (resource: JsonObject): Json => ((resource.Properties as JsonObject).Code as JsonObject).ImageUri as Json;
const waitsOf = (resource: JsonObject): string[] => (typeof resource.DependsOn === 'string' ? [resource.DependsOn] : ((resource.DependsOn ?? []) as string[]));

describe('Property: mirrors follow the order and conditions of their sites', () => {
  it('a site reads a mirror exactly when it has an image, the mirror exists exactly then, and copies that image', () => {
    fc.assert(
      fc.property(generated, (input) => {
        const { fragment } = expectSuccess(transform(input, context(), defaults()));
        const before = input.Resources as JsonObject;
        const after = fragment.Resources as JsonObject;
        const conditions = (fragment.Conditions ?? {}) as JsonObject;
        const mirrors = Object.keys(after).filter((id) => (after[id] as JsonObject).Type === 'Custom::ImageMirror');
        for (const assignment of ASSIGNMENTS) {
          const needed = new Set<string>();
          for (const id of FUNCTIONS.filter((f) => Object.hasOwn(before, f))) {
            const site = after[id] as JsonObject;
            if (!exists(site, conditions, assignment)) continue;
            const original = evaluated(imageOf(before[id] as JsonObject), assignment);
            const rewritten = evaluated(imageOf(site), assignment);
            expect(rewritten === undefined).toBe(original === undefined);
            if (rewritten === undefined) continue;
            const [mirror] = (rewritten as JsonObject)['Fn::GetAtt'] as [string, string];
            needed.add(mirror);
            // The mirror copies what the site held under the same conditions.
            const source = evaluated(((after[mirror] as JsonObject).Properties as JsonObject).SourceImage as Json, assignment);
            expect(source).toEqual(original);
          }
          for (const mirror of mirrors) expect(exists(after[mirror] as JsonObject, conditions, assignment)).toBe(needed.has(mirror));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("a mirror waits for its sites' DependsOn, except what would be a cycle or might not exist, and says which", () => {
    fc.assert(
      fc.property(generated, (input) => {
        const result = expectSuccess(transform(input, context(), defaults()));
        const after = result.fragment.Resources as JsonObject;
        const conditions = (result.fragment.Conditions ?? {}) as JsonObject;
        expect(hasCycle(after)).toBe(false);
        for (const [id, resource] of Object.entries(after)) {
          const mirror = resource as JsonObject;
          if (mirror.Type !== 'Custom::ImageMirror') continue;
          const sites = FUNCTIONS.filter((f) => Object.hasOwn(after, f) && JSON.stringify(imageOf(after[f] as JsonObject)).includes(`"${id}"`));
          const wanted = new Set(sites.flatMap((site) => waitsOf(input.Resources ? ((input.Resources as JsonObject)[site] as JsonObject) : {})));
          const waits = waitsOf(mirror);
          for (const name of waits) {
            expect(wanted.has(name)).toBe(true);
            // Whenever the mirror exists, what it waits for exists too.
            for (const assignment of ASSIGNMENTS) {
              if (exists(mirror, conditions, assignment)) expect(exists(after[name] as JsonObject, conditions, assignment)).toBe(true);
            }
          }
          for (const name of wanted) {
            if (waits.includes(name)) continue;
            expect(result.warnings.some((w) => w.message.includes(`it waits for ${name} (DependsOn), but its image mirror ${id}`))).toBe(true);
          }
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('reaches every case (the generator is not degenerate)', () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(generated, (input) => {
        const result = expectSuccess(transform(input, context(), defaults()));
        for (const resource of Object.values(result.fragment.Resources as JsonObject)) {
          const mirror = resource as JsonObject;
          if (mirror.Type !== 'Custom::ImageMirror') continue;
          seen.add(mirror.DependsOn !== undefined ? 'waits' : 'waits for nothing');
          seen.add(mirror.Condition === undefined ? 'unconditional' : String(mirror.Condition).endsWith('Needed') ? 'combined condition' : 'site condition');
        }
        for (const warning of result.warnings) seen.add(warning.message.includes('circular') ? 'cycle avoided' : 'conditional target avoided');
      }),
      // A fixed seed: whether every case is reached must not depend on the run (a cycle is rare at 200 random runs).
      { numRuns: Math.max(FULL_RUNS, 600), seed: 20261205 },
    );
    expect([...seen].sort()).toEqual(['combined condition', 'conditional target avoided', 'cycle avoided', 'site condition', 'unconditional', 'waits', 'waits for nothing']);
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(generated, (input) => {
        const once = expectSuccess(transform(input, context(), defaults())).fragment;
        expect(JSON.stringify(expectSuccess(transform(once, context(), defaults())).fragment)).toBe(JSON.stringify(once));
      }),
      { numRuns: RUNS },
    );
  });
});
