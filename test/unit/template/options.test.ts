import { describe, expect, it } from 'vitest';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject, TransformDefaults } from '../../../src/template/types.js';
import {
  context,
  defaults,
  expectedMirrorId,
  expectFailure,
  expectSuccess,
  lambdaFunction,
  mirrorsOf,
  onlyMirror,
  QUAY_IMAGE,
  siteOf,
  template,
  type FunctionOptions,
} from './fixtures.js';

const RESOURCE_KEYS = 'allowed keys: Skip, RepositoryPrefix, Architecture, ServiceTimeout';
const TEMPLATE_KEYS = 'allowed keys: RepositoryPrefix, Architecture, ServiceTimeout, MirrorParameters, Ecs, Platforms';

function mirrorProperties(resource: FunctionOptions, templateOptions?: Json, macro: Partial<TransformDefaults> = {}): JsonObject {
  const input = template({ F: lambdaFunction(QUAY_IMAGE, resource) }, templateOptions === undefined ? {} : { Metadata: { SysdigImageFix: templateOptions } });
  const [, mirror] = onlyMirror(expectSuccess(transform(input, context(), defaults(macro))).fragment);
  return mirror.Properties as JsonObject;
}

function problems(resource: FunctionOptions, templateOptions?: Json, macro: Partial<TransformDefaults> = {}) {
  const input = template({ F: lambdaFunction(QUAY_IMAGE, resource) }, templateOptions === undefined ? {} : { Metadata: { SysdigImageFix: templateOptions } });
  return expectFailure(transform(input, context(), defaults(macro)));
}

describe('Options: Metadata.SysdigImageFix', () => {
  describe('precedence: macro defaults < template Metadata < resource Metadata', () => {
    it('uses the built-in defaults', () => {
      expect(mirrorProperties({})).toMatchObject({ RepositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher', ServiceTimeout: 3600 });
    });
    it('macro defaults override the built-in ones', () => {
      expect(mirrorProperties({}, undefined, { repositoryPrefix: 'macro', serviceTimeout: 600 })).toMatchObject({
        RepositoryName: 'macro/quay.io/sysdig/serverless-patcher',
        ServiceTimeout: 600,
      });
    });
    it('template Metadata overrides the macro defaults', () => {
      expect(mirrorProperties({}, { RepositoryPrefix: 'tpl', ServiceTimeout: '900' }, { repositoryPrefix: 'macro', serviceTimeout: 600 })).toMatchObject({
        RepositoryName: 'tpl/quay.io/sysdig/serverless-patcher',
        ServiceTimeout: 900,
      });
    });
    it('resource Metadata overrides the template Metadata', () => {
      const properties = mirrorProperties(
        { options: { RepositoryPrefix: 'team/images', ServiceTimeout: 120 } },
        { RepositoryPrefix: 'tpl', ServiceTimeout: 900 },
        { repositoryPrefix: 'macro' },
      );
      expect(properties).toMatchObject({ RepositoryName: 'team/images/quay.io/sysdig/serverless-patcher', ServiceTimeout: 120 });
    });
    it("applies each resource's own block, and the template's to every resource without one", () => {
      const input = template(
        {
          A: lambdaFunction('quay.io/org/a:1'),
          B: lambdaFunction('quay.io/org/b:1', { options: { RepositoryPrefix: 'team/b', ServiceTimeout: 120 } }),
          C: lambdaFunction('quay.io/org/c:1'),
          D: lambdaFunction('quay.io/org/d:1', { options: { ServiceTimeout: 60 } }),
        },
        { Metadata: { SysdigImageFix: { RepositoryPrefix: 'tpl', ServiceTimeout: 900 } } },
      );
      const mirrors = Object.values(mirrorsOf(expectSuccess(transform(input, context(), defaults())).fragment));
      expect(mirrors.map((mirror) => mirror.Properties as JsonObject).map((p) => [p.RepositoryName, p.ServiceTimeout])).toEqual([
        ['tpl/quay.io/org/a', 900],
        ['team/b/quay.io/org/b', 120],
        ['tpl/quay.io/org/c', 900],
        ['tpl/quay.io/org/d', 60],
      ]);
    });
    it("names the target repository with each resource's prefix when resources share an image", () => {
      const input = template({
        A: lambdaFunction(QUAY_IMAGE, { options: { RepositoryPrefix: 'team/a' } }),
        B: lambdaFunction(QUAY_IMAGE, { architectures: ['arm64'], options: { RepositoryPrefix: 'team/b' } }),
      });
      const mirrors = mirrorsOf(expectSuccess(transform(input, context(), defaults())).fragment);
      expect(Object.fromEntries(Object.entries(mirrors).map(([id, mirror]) => [id, (mirror.Properties as JsonObject).RepositoryName]))).toEqual({
        [expectedMirrorId(QUAY_IMAGE, 'x86_64')]: 'team/a/quay.io/sysdig/serverless-patcher',
        [expectedMirrorId(QUAY_IMAGE, 'arm64')]: 'team/b/quay.io/sysdig/serverless-patcher',
      });
    });
    it('gives deploy-time mirrors the effective RepositoryPrefix', () => {
      const input = template({ F: lambdaFunction({ 'Fn::ImportValue': 'Image' }, { options: { RepositoryPrefix: 'mine' } }) });
      const [, mirror] = onlyMirror(expectSuccess(transform(input, context(), defaults())).fragment);
      expect((mirror.Properties as JsonObject).RepositoryPrefix).toBe('mine');
    });
  });

  describe('Architecture', () => {
    it('on the resource overrides its Architectures', () => {
      const input = template({ F: lambdaFunction(QUAY_IMAGE, { architectures: ['x86_64'], options: { Architecture: 'arm64' } }) });
      const { fragment, sites } = expectSuccess(transform(input, context(), defaults()));
      expect(onlyMirror(fragment)[0]).toBe(expectedMirrorId(QUAY_IMAGE, 'arm64'));
      expect(siteOf(sites, 'F').architecture).toBe('arm64');
    });
    it('on the template applies to every function, and a resource overrides it', () => {
      const input = template(
        { A: lambdaFunction(QUAY_IMAGE), B: lambdaFunction(QUAY_IMAGE, { options: { Architecture: 'x86_64' } }) },
        { Metadata: { SysdigImageFix: { Architecture: 'arm64' } } },
      );
      const { sites } = expectSuccess(transform(input, context(), defaults()));
      expect(sites.map((s) => s.architecture)).toEqual(['arm64', 'x86_64']);
    });
    it('replaces an Architectures value that could not be used', () => {
      const input = template({ F: lambdaFunction(QUAY_IMAGE, { architectures: ['ppc'], options: { Architecture: 'arm64' } }) });
      expect(siteOf(expectSuccess(transform(input, context(), defaults())).sites, 'F').architecture).toBe('arm64');
    });
  });

  describe('validation', () => {
    it('refuses an unknown key on a resource, listing the allowed keys', () => {
      expect(problems({ options: { Prefix: 'x' } })).toEqual([
        { logicalId: 'F', message: `Resource F: unknown option "Prefix" in Metadata.SysdigImageFix; ${RESOURCE_KEYS}` },
      ]);
    });
    it('refuses an unknown key in the template Metadata, and Skip there', () => {
      const errors = problems({}, { Colour: 'x', Skip: true });
      expect(errors).toEqual([
        { message: `template Metadata: unknown option "Colour" in Metadata.SysdigImageFix; ${TEMPLATE_KEYS}` },
        {
          message: `template Metadata: unknown option "Skip" in Metadata.SysdigImageFix (Skip belongs in the Metadata of a function or task definition resource); ${TEMPLATE_KEYS}`,
        },
      ]);
    });
    it('refuses a block that is not an object', () => {
      expect(problems({ options: 'skip' })).toEqual([{ logicalId: 'F', message: `Resource F: Metadata.SysdigImageFix must be an object of options; ${RESOURCE_KEYS}` }]);
      expect(problems({}, ['x'])[0]!.message).toBe(`template Metadata: Metadata.SysdigImageFix must be an object of options; ${TEMPLATE_KEYS}`);
    });
    it.each<[string, Json, string]>([
      ['Skip', 'yes', 'allowed values: true, false'],
      ['Skip', 1, 'allowed values: true, false'],
      ['Architecture', 'ppc', 'allowed values: x86_64, arm64'],
      ['Architecture', 'ARM64', 'allowed values: x86_64, arm64'],
      ['ServiceTimeout', 0, 'allowed values: an integer from 1 to 3600'],
      ['ServiceTimeout', 3601, 'allowed values: an integer from 1 to 3600'],
      ['ServiceTimeout', 1.5, 'allowed values: an integer from 1 to 3600'],
      ['ServiceTimeout', 'soon', 'allowed values: an integer from 1 to 3600'],
      ['ServiceTimeout', '-5', 'allowed values: an integer from 1 to 3600'],
      ['RepositoryPrefix', 'Upper', 'must be lower-case letters and digits'],
      ['RepositoryPrefix', '', 'must not be empty'],
      ['RepositoryPrefix', 'a//b', 'must be lower-case letters and digits'],
      ['RepositoryPrefix', 7, 'is not a string'],
    ])('refuses %s %j on a resource, naming it and the allowed values', (key, value, detail) => {
      const [error, ...rest] = problems({ options: { [key]: value } });
      expect(rest).toEqual([]);
      expect(error!.logicalId).toBe('F');
      expect(error!.message).toMatch(new RegExp(`^Resource F: option Metadata\\.SysdigImageFix\\.${key} ${escape(JSON.stringify(value))} is not valid`));
      expect(error!.message).toContain(detail);
    });
    it('refuses bad values in the template Metadata', () => {
      expect(problems({}, { ServiceTimeout: 0 })[0]!.message).toMatch(/^template Metadata: option Metadata\.SysdigImageFix\.ServiceTimeout 0 is not valid/);
    });
    it.each<[string, Json, string]>([
      ['MirrorParameters', 'Image', 'it is not a list'],
      ['MirrorParameters', [''], '"" is not a parameter name'],
      ['MirrorParameters', [{ Ref: 'Image' }], '{"Ref":"Image"} is not a parameter name'],
      ['Ecs', 'yes', 'allowed values: true, false'],
      ['Ecs', 1, 'allowed values: true, false'],
      ['Platforms', 'All', 'allowed values: all'],
      ['Platforms', ['all'], 'allowed values: all'],
    ])('refuses the opt-in option %s %j in the template Metadata', (key, value, detail) => {
      const [error, ...rest] = problems({}, { [key]: value });
      expect(rest).toEqual([]);
      expect(error!.logicalId).toBeUndefined();
      expect(error!.message).toMatch(new RegExp(`^template Metadata: option Metadata\\.SysdigImageFix\\.${key} ${escape(JSON.stringify(value))} is not valid`));
      expect(error!.message).toContain(detail);
    });
    it.each([
      ['Ecs', true, 'Ecs belongs in the template Metadata or in that of an AWS::ECS::TaskDefinition'],
      ['Platforms', 'all', 'Platforms: all is for ECS task definitions: Lambda refuses an image index'],
      ['MirrorParameters', ['X'], 'MirrorParameters belongs in the template Metadata or the Transform parameters'],
    ])('refuses %s on a function, saying where it belongs', (key, value, hint) => {
      const [error] = problems({ options: { [key]: value } });
      expect(error!.message).toBe(`Resource F: unknown option "${key}" in Metadata.SysdigImageFix (${hint}); ${RESOURCE_KEYS}`);
    });
    it('accepts string booleans for Ecs and ignores Platforms and duplicate MirrorParameters for functions', () => {
      const input = template(
        { F: lambdaFunction(QUAY_IMAGE) },
        {
          Parameters: { Image: { Type: 'String', Default: 'nginx' } },
          Metadata: { SysdigImageFix: { Ecs: 'false', Platforms: 'all', MirrorParameters: ['Image', 'Image'] } },
        },
      );
      const { sites } = expectSuccess(transform(input, context(), defaults()));
      expect(sites.map((site) => [site.logicalId, site.architecture])).toEqual([
        ['F', 'x86_64'],
        ['Image', 'all'],
      ]);
    });
    it('refuses bad macro defaults', () => {
      const errors = problems({}, undefined, { repositoryPrefix: 'Bad Prefix', serviceTimeout: 99999 });
      expect(errors.map((e) => e.message)).toEqual([
        expect.stringMatching(/^Macro configuration: REPOSITORY_PREFIX "Bad Prefix" must be lower-case/),
        expect.stringMatching(/^Macro configuration: SERVICE_TIMEOUT 99999 is not an integer from 1 to 3600/),
      ]);
    });
    it('accepts numeric strings for ServiceTimeout and string booleans for Skip', () => {
      expect(mirrorProperties({ options: { ServiceTimeout: '1', Skip: 'false' } }).ServiceTimeout).toBe(1);
    });
  });

  describe('sites sharing a mirror', () => {
    it.each<[string, Json, Json, string]>([
      ['RepositoryPrefix', 'a', 'b', '("a" and "b")'],
      ['ServiceTimeout', 60, 120, '(60 and 120)'],
    ])('fail when they ask for different %s, naming both', (key, a, b, shown) => {
      const input = template({ A: lambdaFunction(QUAY_IMAGE, { options: { [key]: a } }), B: lambdaFunction(QUAY_IMAGE, { options: { [key]: b } }) });
      const errors = expectFailure(transform(input, context(), defaults()));
      expect(errors).toHaveLength(1);
      expect(errors[0]!.logicalId).toBe('B');
      expect(errors[0]!.message).toMatch(/^Resources A and B share image mirror ImageMirror[0-9a-f]{8} /);
      expect(errors[0]!.message).toContain(`different ${key} ${shown}`);
    });
    it('succeed when they agree', () => {
      const options = { RepositoryPrefix: 'same', ServiceTimeout: 60 };
      const input = template({ A: lambdaFunction(QUAY_IMAGE, { options }), B: lambdaFunction(QUAY_IMAGE, { options }) });
      expect(onlyMirror(expectSuccess(transform(input, context(), defaults())).fragment)[1].Properties).toMatchObject({
        RepositoryName: 'same/quay.io/sysdig/serverless-patcher',
        ServiceTimeout: 60,
      });
    });
  });
});

// biome-ignore lint/suspicious/noShadowRestrictedNames: a module-local helper; the global escape is not used here
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
