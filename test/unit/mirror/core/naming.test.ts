// A repository's name tells its real source (issue 16): a RepositoryName or RepositoryPrefix is taken only when the
// name ends with the source's own <registry host>/<path> under the macro stack's prefix.
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCfnYaml } from '../../../../src/cli/cfn-yaml.js';
import { stackParameterValues } from '../../../../src/cli/emulate.js';
import { createResolver } from '../../../../src/template/resolve/resolver.js';
import { transform } from '../../../../src/template/transform.js';
import type { JsonObject } from '../../../../src/template/types.js';
import { lambdaFunction, samFunction } from '../../template/fixtures.js';
import { InvalidPropertiesError } from '../../../../src/mirror/core/errors.js';
import { namingFor, RepositoryNameError } from '../../../../src/mirror/core/naming.js';
import { planMirror, type CopyPlan } from '../../../../src/mirror/core/plan.js';
import { parseProperties } from '../../../../src/mirror/core/properties.js';
import { parseImageReference } from '../../../../src/reference/index.js';
import { haveTestData, REAL_TEMPLATES, REAL_TEMPLATES_DIR } from '../../../support/test-data.js';

const here = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012', urlSuffix: 'amazonaws.com' };
const STACK_PREFIX = 'sysdig-image-fix';

function plan(properties: Record<string, unknown>, naming: 'refuse' | 'rename' | 'as-given' = 'refuse', stackPrefix = STACK_PREFIX) {
  return planMirror(parseProperties(properties), here, stackPrefix, naming);
}

/** `<registry host>/<path>` of an image whose path has single separators only (nothing to collapse). */
function tailOf(image: string): string {
  const ref = parseImageReference(image);
  return `${ref.registry.toLowerCase().replace(':', '_')}/${ref.repository}`;
}

function refusalOf(properties: Record<string, unknown>): RepositoryNameError {
  try {
    plan(properties);
  } catch (error) {
    if (error instanceof RepositoryNameError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(properties)}`);
}

describe('Function: planMirror (repository names)', () => {
  it("refuses a RepositoryName that names another image's repository, naming the name, the source and the expected name", () => {
    const error = refusalOf({ SourceImage: 'evil.example/x/y:5.0.1', RepositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher' });
    expect(error.message).toBe(
      'RepositoryName "sysdig-image-fix/quay.io/sysdig/serverless-patcher" does not name evil.example/x/y:5.0.1 (a mirror\'s repository is ' +
        '<prefix>/<registry host>/<path> of its source, under this macro stack\'s prefix "sysdig-image-fix"): the repository of ' +
        'evil.example/x/y:5.0.1 is "sysdig-image-fix/evil.example/x/y". Give that name, or leave RepositoryName out and the function derives it',
    );
    expect(error.refusal).toEqual({
      property: 'RepositoryName',
      given: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher',
      stackPrefix: STACK_PREFIX,
      expected: 'sysdig-image-fix/evil.example/x/y',
    });
  });

  it.each([
    ['the right path outside the stack prefix', 'other/evil.example/x/y'],
    ['the right path beside the stack prefix', 'sysdig-image-fix-other/evil.example/x/y'],
    ['a shorter path (the host left out)', 'sysdig-image-fix/x/y'],
    ['the path alone', 'evil.example/x/y'],
    ['a longer path', 'sysdig-image-fix/evil.example/x/y/z'],
    ['the path of another host', 'sysdig-image-fix/other.example/x/y'],
  ])('refuses a RepositoryName with %s', (_label, name) => {
    expect(refusalOf({ SourceImage: 'evil.example/x/y:5.0.1', RepositoryName: name }).refusal.expected).toBe('sysdig-image-fix/evil.example/x/y');
  });

  it.each([
    ['the derived name', 'nginx:1.27', 'sysdig-image-fix/docker.io/library/nginx'],
    ['a sub-prefix (a template Metadata RepositoryPrefix)', 'nginx:1.27', 'sysdig-image-fix/team/a/docker.io/library/nginx'],
    ['a port and collapsed separators', 'registry.example.com:5000/a__b/c:1', 'sysdig-image-fix/registry.example.com_5000/a_b/c'],
  ])('takes a RepositoryName that is %s', (_label, source, name) => {
    expect(plan({ SourceImage: source, RepositoryName: name })).toMatchObject({ kind: 'copy', repositoryName: name });
  });

  it('takes a RepositoryPrefix only when it is the stack prefix or under it', () => {
    expect(plan({ SourceImage: 'quay.io/a/b:1', RepositoryPrefix: 'sysdig-image-fix' })).toMatchObject({ repositoryName: 'sysdig-image-fix/quay.io/a/b' });
    expect(plan({ SourceImage: 'quay.io/a/b:1', RepositoryPrefix: 'sysdig-image-fix/t' })).toMatchObject({ repositoryName: 'sysdig-image-fix/t/quay.io/a/b' });
    for (const prefix of ['other', 'sysdig-image-fix-x', 'sysdig-image-fix.x']) {
      const error = refusalOf({ SourceImage: 'quay.io/a/b:1', RepositoryPrefix: prefix });
      expect(error.message).toBe(
        `RepositoryPrefix ${JSON.stringify(prefix)} is not this macro stack's prefix "sysdig-image-fix" or one under it (the mirror function writes only ` +
          `repositories under "sysdig-image-fix/"): the repository of quay.io/a/b:1 is "sysdig-image-fix/quay.io/a/b". Set RepositoryPrefix (the ` +
          `template's or the resource's Metadata SysdigImageFix RepositoryPrefix) to "sysdig-image-fix" or a prefix under it, such as "sysdig-image-fix/team"`,
      );
    }
  });

  it('on an Update mirrors to the expected name instead, saying which name it did not use; as given only to recognise an unchanged Update', () => {
    const properties = { SourceImage: 'evil.example/x/y:5.0.1', RepositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher' };
    expect(namingFor('Update')).toBe('rename');
    expect(namingFor('Create')).toBe('refuse');
    expect(plan(properties, 'rename')).toMatchObject({
      repositoryName: 'sysdig-image-fix/evil.example/x/y',
      renamed: { property: 'RepositoryName', given: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher' },
    });
    expect(plan(properties, 'as-given')).toMatchObject({ repositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher' });
    expect(plan(properties, 'as-given')).not.toHaveProperty('renamed');
  });

  it('checks no name for a source kept as it is (nothing is written)', () => {
    expect(plan({ SourceImage: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1', RepositoryName: 'elsewhere/x' })).toMatchObject({ kind: 'keep' });
  });

  // Sources from components with single separators, so the expected tail needs no collapsing: <host>/<path>.
  const component = fc.stringMatching(/^[a-z0-9]{1,6}(?:[._-][a-z0-9]{1,6}){0,2}$/);
  const host = fc.oneof(
    fc.constantFrom('quay.io', 'docker.io', 'ghcr.io', 'public.ecr.aws', 'evil.example', 'localhost'),
    fc.tuple(fc.stringMatching(/^[a-z0-9]{1,8}\.[a-z]{2,4}$/), fc.integer({ min: 1, max: 65535 })).map(([name, port]) => `${name}:${port}`),
  );
  const source = fc.tuple(host, fc.array(component, { minLength: 1, maxLength: 3 }), component).map(([h, path, tag]) => `${h}/${path.join('/')}:${tag}`);
  const subPrefix = fc.array(component, { maxLength: 2 }).map((parts) => parts.map((part) => `/${part}`).join(''));
  const name = (own: string, other: string) =>
    fc.oneof(
      subPrefix.map((sub) => `${STACK_PREFIX}${sub}/${tailOf(own)}`),
      subPrefix.map((sub) => `${STACK_PREFIX}${sub}/${tailOf(other)}`),
      fc.tuple(fc.constantFrom('other', 'sysdig-image-fix-x', 'x/sysdig-image-fix'), subPrefix).map(([p, sub]) => `${p}${sub}/${tailOf(own)}`),
      fc.array(component, { minLength: 2, maxLength: 6 }).map((parts) => parts.join('/')),
      fc.nat(3).map((cut) => `${STACK_PREFIX}/${tailOf(own).split('/').slice(cut).join('/')}`),
    );

  it('property: for any source and name it accepts, the name is <stack prefix>[/<sub-prefix>]/<registry host>/<path> of that source', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.tuple(source, source).chain(([own, other]) => fc.tuple(fc.constant(own), name(own, other))),
        ([image, repositoryName]) => {
          let planned: CopyPlan;
          try {
            planned = plan({ SourceImage: image, RepositoryName: repositoryName }) as CopyPlan;
          } catch (error) {
            // Refused: for naming another repository, or for not being an ECR repository name at all.
            if (error instanceof InvalidPropertiesError) return;
            if (!(error instanceof RepositoryNameError)) throw error;
            expect(error.message).toContain(JSON.stringify(error.refusal.expected));
            return;
          }
          accepted += 1;
          expect(planned.repositoryName).toBe(repositoryName);
          expect(repositoryName.endsWith(`/${tailOf(image)}`)).toBe(true);
          expect(repositoryName.startsWith(`${STACK_PREFIX}/`)).toBe(true);
          expect(planned.targetImage.startsWith(`${planned.repositoryUri}:`)).toBe(true);
        },
      ),
      { seed: 16, numRuns: 500 },
    );
    // The generator reaches both outcomes.
    expect(accepted).toBeGreaterThan(50);
  });

  it("property: the name it derives, with any sub-prefix under the stack's, is accepted", () => {
    fc.assert(
      fc.property(source, subPrefix, (image, sub) => {
        expect(plan({ SourceImage: image, RepositoryName: `${STACK_PREFIX}${sub}/${tailOf(image)}` })).toMatchObject({ kind: 'copy' });
        expect(plan({ SourceImage: image, ...(sub ? { RepositoryPrefix: `${STACK_PREFIX}${sub}` } : {}) })).toMatchObject({
          repositoryName: `${STACK_PREFIX}${sub}/${tailOf(image)}`,
        });
      }),
      { seed: 17, numRuns: 300 },
    );
  });
});

describe('Function: planMirror (what the macro writes)', () => {
  const region = 'eu-west-1';
  const literal = (metadata?: JsonObject): JsonObject => ({
    Parameters: {
      PatcherImage: { Type: 'String', Default: 'quay.io/sysdig/serverless-patcher:5.0.1' },
      Agent: { Type: 'String', Default: 'quay.io/sysdig/workload-agent:5.0.1' },
    },
    Metadata: { SysdigImageFix: { MirrorParameters: ['Agent'], Ecs: true } },
    Resources: {
      Literal: lambdaFunction('quay.io/sysdig/serverless-patcher:6.2.0', { architectures: ['arm64'] }),
      SubPrefixed: lambdaFunction('nginx:1.27', { ...(metadata ? { options: metadata } : {}) }),
      FromParameter: samFunction({ Ref: 'PatcherImage' }, { options: { RepositoryPrefix: 'sysdig-image-fix/team' } }),
      Sub: lambdaFunction({ 'Fn::Sub': 'registry.example.com:5000/${AWS::Region}/tool:1' }),
      Task: {
        Type: 'AWS::ECS::TaskDefinition',
        Properties: {
          ExecutionRoleArn: 'arn:aws:iam::123456789012:role/x',
          ContainerDefinitions: [
            { Name: 'a', Image: 'ghcr.io/org/app:2' },
            { Name: 'b', Image: { Ref: 'Agent' } },
          ],
        },
      },
    },
  });
  const realTemplates = (): JsonObject[] =>
    readdirSync(REAL_TEMPLATES_DIR)
      .filter((file) => file.endsWith('.yaml'))
      .map((file) => {
        const template = parseCfnYaml(readFileSync(`${REAL_TEMPLATES_DIR}${file}`, 'utf8')) as JsonObject;
        const parameters = Object.keys((template.Parameters as JsonObject | undefined) ?? {}).filter((name) => /Image/.test(name));
        template.Metadata = { ...((template.Metadata as JsonObject | undefined) ?? {}), SysdigImageFix: { Ecs: true, MirrorParameters: parameters } };
        return template;
      });

  /** Transforms `template` as the macro does and plans each injected mirror from the properties CloudFormation then sends; returns how many. */
  function planEveryMirror(template: JsonObject): number {
    const ctx = { region, accountId: here.accountId, templateParameterValues: stackParameterValues(template, new Map()).values };
    const result = transform(template, ctx, { mirrorFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:m', repositoryPrefix: STACK_PREFIX });
    if (!result.ok) throw new Error(JSON.stringify(result.errors.slice(0, 2)));
    const mirrors = Object.values(result.fragment.Resources as JsonObject).filter((r) => (r as JsonObject).Type === 'Custom::ImageMirror') as JsonObject[];
    // What CloudFormation sends the function: the properties with their intrinsics evaluated.
    const resolver = createResolver(result.fragment, ctx);
    for (const mirror of mirrors) {
      const { ServiceToken: _token, ...properties } = mirror.Properties as JsonObject;
      const evaluated = resolver.evaluate(properties);
      if (evaluated.kind !== 'value') throw new Error(`unresolvable: ${JSON.stringify(properties)}`);
      const sent = evaluated.value as JsonObject;
      const planned = plan(sent);
      expect(planned.kind, JSON.stringify(sent)).toBe('copy');
      const name = (sent.RepositoryName as string | undefined) ?? `${sent.RepositoryPrefix as string}/${tailOf(sent.SourceImage as string)}`;
      expect(planned, JSON.stringify(sent)).toMatchObject({ repositoryName: name });
      expect(planned).not.toHaveProperty('renamed');
    }
    return mirrors.length;
  }

  it.each([
    ['a resource sub-prefix', { RepositoryPrefix: 'sysdig-image-fix/web' }],
    ['no sub-prefix', undefined],
  ])('takes every name and prefix the macro writes for literal, Ref, Sub, ECS and MirrorParameters sites, with %s', (_label, options) => {
    expect(planEveryMirror(literal(options))).toBe(6);
  });

  it.skipIf(!haveTestData(REAL_TEMPLATES))('takes every name and prefix the macro writes for the real templates, with Ecs and MirrorParameters on', () => {
    expect(
      realTemplates()
        .map(planEveryMirror)
        .reduce((a, b) => a + b, 0),
    ).toBeGreaterThanOrEqual(6);
  });
});
