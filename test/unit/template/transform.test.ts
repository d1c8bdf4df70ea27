import { describe, expect, it } from 'vitest';
import { jsonEquals } from '../../../src/template/json.js';
import { transform } from '../../../src/template/transform.js';
import type { Json, JsonObject } from '../../../src/template/types.js';
import {
  ACCOUNT,
  context,
  defaults,
  equals,
  expectedMirrorId,
  expressionMirror,
  expectFailure,
  expectSuccess,
  findInMap,
  getAtt,
  ifThen,
  imageOf,
  lambdaFunction,
  MIRROR_ARN,
  mirrorRef,
  mirrorsOf,
  NO_VALUE,
  onlyMirror,
  PRIVATE_ECR_IMAGE,
  QUAY_IMAGE,
  ref,
  REGION,
  samFunction,
  siteOf,
  stringParameter,
  sub,
  template,
  withoutTransformChanges,
} from './fixtures.js';

const run = (t: unknown, ctx = context(), d = defaults()) => transform(t, ctx, d);

describe('Function: transform', () => {
  describe('verdict keep', () => {
    it.each([
      ['private ECR of the region, another account', PRIVATE_ECR_IMAGE],
      ['private ECR of the region pinned by digest', `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/app@sha256:${'a'.repeat(64)}`],
    ])('leaves %s untouched', (_, image) => {
      const input = template({ F: lambdaFunction(image) });
      const { fragment, sites } = expectSuccess(run(input));
      expect(fragment).toEqual(input);
      expect(sites).toEqual([{ logicalId: 'F', resourceType: 'AWS::Lambda::Function', image, verdict: 'keep', architecture: 'x86_64' }]);
    });

    it('keeps a site that resolves to AWS::NoValue', () => {
      const input = template({ F: lambdaFunction(ifThen('Yes', NO_VALUE, QUAY_IMAGE)) }, { Conditions: { Yes: equals('a', 'a') } });
      const { fragment, sites } = expectSuccess(run(input));
      expect(fragment).toEqual(input);
      expect(siteOf(sites, 'F').verdict).toBe('keep');
    });

    it('keeps an intrinsic Code untouched without error', () => {
      const code = ifThen('Later', { ImageUri: QUAY_IMAGE }, { ImageUri: 'nginx' });
      const input = template(
        { F: { Type: 'AWS::Lambda::Function', Properties: { PackageType: 'Image', Code: code } } },
        { Conditions: { Later: equals(ref('AWS::StackName'), 'x') } },
      );
      const { fragment, sites } = expectSuccess(run(input));
      expect(fragment).toEqual(input);
      expect(sites).toEqual([{ logicalId: 'F', resourceType: 'AWS::Lambda::Function', image: JSON.stringify(code), verdict: 'keep' }]);
    });

    it('keeps sites already reading from a Custom::ImageMirror, in both GetAtt forms', () => {
      const mirror = { Type: 'Custom::ImageMirror', Properties: { ServiceToken: MIRROR_ARN, SourceImage: QUAY_IMAGE } };
      const input = template({
        A: lambdaFunction(mirrorRef('ImageMirror0123abcd')),
        B: samFunction({ 'Fn::GetAtt': 'ImageMirror0123abcd.ImageUri' }),
        ImageMirror0123abcd: mirror,
      });
      const { fragment, sites } = expectSuccess(run(input));
      expect(fragment).toEqual(input);
      expect(sites.map((s) => s.verdict)).toEqual(['keep', 'keep']);
    });

    it('uses the URL suffix of the context', () => {
      const image = `${ACCOUNT}.dkr.ecr.cn-north-1.amazonaws.com.cn/app:1`;
      const { sites } = expectSuccess(run(template({ F: lambdaFunction(image) }), context({ region: 'cn-north-1' })));
      expect(siteOf(sites, 'F').verdict).toBe('keep');
    });
  });

  describe('verdict mirror', () => {
    it.each([
      ['Quay', QUAY_IMAGE, QUAY_IMAGE, 'sysdig-image-fix/quay.io/sysdig/serverless-patcher'],
      ['Docker Hub short name', 'nginx:1.27', 'docker.io/library/nginx:1.27', 'sysdig-image-fix/docker.io/library/nginx'],
      [
        'ECR of another region',
        `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/app:1`,
        `${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/app:1`,
        `sysdig-image-fix/${ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/app`,
      ],
      [
        'ECR FIPS of the region',
        `${ACCOUNT}.dkr.ecr-fips.${REGION}.amazonaws.com/app:1`,
        `${ACCOUNT}.dkr.ecr-fips.${REGION}.amazonaws.com/app:1`,
        `sysdig-image-fix/${ACCOUNT}.dkr.ecr-fips.${REGION}.amazonaws.com/app`,
      ],
      ['ECR Public', 'public.ecr.aws/lambda/python:3.12', 'public.ecr.aws/lambda/python:3.12', 'sysdig-image-fix/public.ecr.aws/lambda/python'],
      ['a registry with a port', 'registry.example:5000/team/app', 'registry.example:5000/team/app:latest', 'sysdig-image-fix/registry.example_5000/team/app'],
    ])('mirrors %s', (_, image, normalised, repositoryName) => {
      const input = template({ F: lambdaFunction(image) });
      const { fragment, sites } = expectSuccess(run(input));
      const id = expectedMirrorId(normalised, 'x86_64');
      expect(mirrorsOf(fragment)).toEqual({
        [id]: {
          Type: 'Custom::ImageMirror',
          Properties: {
            ServiceToken: MIRROR_ARN,
            ServiceTimeout: 3600,
            SourceImage: normalised,
            Architecture: 'x86_64',
            RepositoryName: repositoryName,
          },
        },
      });
      expect(imageOf(fragment, 'F')).toEqual(mirrorRef(id));
      expect(sites).toEqual([{ logicalId: 'F', resourceType: 'AWS::Lambda::Function', image: normalised, verdict: 'mirror', architecture: 'x86_64', mirrorLogicalId: id }]);
    });

    describe('SourceImage of a site resolved at transform time', () => {
      const sections = {
        Parameters: { Image: stringParameter(PRIVATE_ECR_IMAGE), Tag: stringParameter('1.27') },
        Conditions: { Yes: equals('a', 'a') },
        Mappings: { Images: { [REGION]: { Uri: 'ghcr.io/acme/tool:2' } } },
      };
      it.each<[string, Json, string, string[]]>([
        ['a parameter Ref (value from the event)', ref('Image'), QUAY_IMAGE, ['Image']],
        ['a Sub over a parameter Default', sub('nginx:${Tag}'), 'docker.io/library/nginx:1.27', ['Tag']],
        ['an If over a known condition', ifThen('Yes', 'public.ecr.aws/lambda/python:3.12', 'nginx'), 'public.ecr.aws/lambda/python:3.12', []],
        ['a FindInMap by region', findInMap('Images', ref('AWS::Region'), 'Uri'), 'ghcr.io/acme/tool:2', []],
      ])(
        'is the original expression for %s, which also names the mirror; the repository follows the deploy-time value (RepositoryPrefix)',
        (_, expression, normalised, parameters) => {
          const input = template({ F: lambdaFunction(expression) }, sections);
          const { fragment, sites } = expectSuccess(run(input, context({ templateParameterValues: { Image: QUAY_IMAGE } })));
          const id = expectedMirrorId(expression, 'x86_64');
          expect(mirrorsOf(fragment)).toEqual(expressionMirror(expression));
          expect(imageOf(fragment, 'F')).toEqual(mirrorRef(id));
          expect(sites).toEqual([
            {
              logicalId: 'F',
              resourceType: 'AWS::Lambda::Function',
              image: normalised,
              verdict: 'mirror',
              architecture: 'x86_64',
              mirrorLogicalId: id,
              ...(parameters.length > 0 ? { parameters } : {}),
            },
          ]);
        },
      );

      it('shares a mirror between sites with the same literal image, or the same expression, never across them', () => {
        const parameters = { Image: stringParameter('docker.io/library/nginx:1.27'), Other: stringParameter('nginx:1.27') };
        const input = template(
          {
            A: lambdaFunction('nginx:1.27'),
            B: samFunction(ref('Image')),
            C: lambdaFunction('docker.io/library/nginx:1.27'),
            D: lambdaFunction(ref('Image')),
            E: lambdaFunction(ref('Other')),
          },
          { Parameters: parameters },
        );
        const { fragment, sites } = expectSuccess(run(input));
        const literal = expectedMirrorId('docker.io/library/nginx:1.27', 'x86_64');
        const [image, other] = [expectedMirrorId(ref('Image'), 'x86_64'), expectedMirrorId(ref('Other'), 'x86_64')];
        expect(['A', 'B', 'C', 'D', 'E'].map((id) => imageOf(fragment, id))).toEqual([literal, image, literal, image, other].map(mirrorRef));
        expect(Object.keys(mirrorsOf(fragment)).sort()).toEqual([literal, image, other].sort());
        expect(mirrorsOf(fragment)[literal]!.Properties).toMatchObject({
          SourceImage: 'docker.io/library/nginx:1.27',
          RepositoryName: 'sysdig-image-fix/docker.io/library/nginx',
        });
        // Deployed with Other=quay.io/x:1, E must not run Image's copy: each expression has its own mirror.
        expect(mirrorsOf(fragment)[other]!.Properties).toMatchObject({ SourceImage: ref('Other'), RepositoryPrefix: 'sysdig-image-fix' });
        expect(sites.map((site) => site.image)).toEqual(Array(5).fill('docker.io/library/nginx:1.27'));
      });
    });

    it('leaves a function whose intrinsic PackageType resolves to Zip alone, and mirrors it when it resolves to Image', () => {
      const packageType = ifThen('Yes', 'Zip', 'Image');
      const zip = template({ F: lambdaFunction(QUAY_IMAGE, { properties: { PackageType: packageType } }) }, { Conditions: { Yes: equals('a', 'a') } });
      const { fragment, sites } = expectSuccess(run(zip));
      expect(sites).toEqual([]);
      expect(fragment).toEqual(zip);
      const image = template({ F: lambdaFunction(QUAY_IMAGE, { properties: { PackageType: packageType } }) }, { Conditions: { Yes: equals('a', 'b') } });
      expect(expectSuccess(run(image)).sites.map((site) => site.verdict)).toEqual(['mirror']);
    });

    it('rewrites a SAM function at Properties.ImageUri', () => {
      const { fragment } = expectSuccess(run(template({ Fn: samFunction('nginx') })));
      expect(imageOf(fragment, 'Fn')).toEqual(mirrorRef(expectedMirrorId('docker.io/library/nginx:latest', 'x86_64')));
    });

    it('mirrors for arm64 functions', () => {
      const { fragment, sites } = expectSuccess(run(template({ F: lambdaFunction(QUAY_IMAGE, { architectures: ['arm64'] }) })));
      const [id, mirror] = onlyMirror(fragment);
      expect(id).toBe(expectedMirrorId(QUAY_IMAGE, 'arm64'));
      expect((mirror.Properties as JsonObject).Architecture).toBe('arm64');
      expect(siteOf(sites, 'F').architecture).toBe('arm64');
    });

    it('takes the architecture of SAM functions from Globals', () => {
      const input = template({ F: samFunction(QUAY_IMAGE) }, { Globals: { Function: { Architectures: ['arm64'] } } });
      const [id] = onlyMirror(expectSuccess(run(input)).fragment);
      expect(id).toBe(expectedMirrorId(QUAY_IMAGE, 'arm64'));
    });

    it("passes a deploy-time architecture expression to the mirror's Architecture", () => {
      const input = template({ F: lambdaFunction(QUAY_IMAGE, { architectures: ref('Archs') }) }, { Parameters: { Archs: { Type: 'CommaDelimitedList' } } });
      const { fragment, sites } = expectSuccess(run(input));
      const expression = { 'Fn::Select': [0, ref('Archs')] };
      const [id, mirror] = onlyMirror(fragment);
      expect(id).toBe(expectedMirrorId(QUAY_IMAGE, expression));
      expect((mirror.Properties as JsonObject).Architecture).toEqual(expression);
      expect(siteOf(sites, 'F').architecture).toBeUndefined();
    });

    it('uses the mirror function ARN given as an intrinsic', () => {
      const arn = { 'Fn::ImportValue': 'MirrorFunctionArn' };
      const [, mirror] = onlyMirror(expectSuccess(run(template({ F: lambdaFunction('nginx') }), context(), defaults({ mirrorFunctionArn: arn }))).fragment);
      expect((mirror.Properties as JsonObject).ServiceToken).toEqual(arn);
    });
  });

  describe('verdict deploy-time', () => {
    it.each<[string, Json, JsonObject]>([
      ['a resource attribute', getAtt('Builder', 'ImageUri'), {}],
      ['the stack name', sub('quay.io/org/${AWS::StackName}:1'), {}],
      ['an SSM parameter', ref('FromSsm'), { FromSsm: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/image' } }],
      ['an import', { 'Fn::ImportValue': 'SharedImage' }, {}],
    ])('mirrors %s with the original expression as SourceImage', (_, expression, parameters) => {
      const input = template({ F: lambdaFunction(expression), Builder: { Type: 'Custom::Builder' } }, { Parameters: parameters });
      const { fragment, sites } = expectSuccess(run(input));
      const id = expectedMirrorId(expression, 'x86_64');
      expect(mirrorsOf(fragment)).toEqual(expressionMirror(expression));
      expect(imageOf(fragment, 'F')).toEqual(mirrorRef(id));
      expect(siteOf(sites, 'F')).toMatchObject({ verdict: 'deploy-time', image: JSON.stringify(expression), mirrorLogicalId: id });
    });

    it('treats a GetAtt ImageUri of a resource that is not an ImageMirror as deploy-time', () => {
      const input = template({ F: lambdaFunction(getAtt('Other', 'ImageUri')), Other: { Type: 'Custom::ContainerImage' } });
      expect(siteOf(expectSuccess(run(input)).sites, 'F').verdict).toBe('deploy-time');
    });
  });

  describe('verdict skip', () => {
    it.each([true, 'true'])('leaves a resource with Skip %j untouched', (skip) => {
      const input = template({ F: lambdaFunction(QUAY_IMAGE, { options: { Skip: skip } }) });
      const { fragment, sites } = expectSuccess(run(input));
      expect(fragment).toEqual(input);
      expect(sites).toEqual([{ logicalId: 'F', resourceType: 'AWS::Lambda::Function', image: QUAY_IMAGE, verdict: 'skip', architecture: 'x86_64' }]);
    });
    it('mirrors with Skip false', () => {
      expect(siteOf(expectSuccess(run(template({ F: lambdaFunction(QUAY_IMAGE, { options: { Skip: 'false' } }) }))).sites, 'F').verdict).toBe('mirror');
    });
    it('does not validate the image of a skipped resource', () => {
      expect(expectSuccess(run(template({ F: lambdaFunction('Not An Image', { options: { Skip: true } }) }))).sites[0]!.verdict).toBe('skip');
    });
  });

  describe('Condition of the mirror', () => {
    const conditions = { Prod: equals(ref('AWS::StackName'), 'prod'), Dev: equals(ref('AWS::StackName'), 'dev') };
    const conditionOf = (fragment: JsonObject) => onlyMirror(fragment)[1].Condition;

    it('is the shared Condition when every site has the same one', () => {
      const input = template({ A: lambdaFunction(QUAY_IMAGE, { condition: 'Prod' }), B: lambdaFunction(QUAY_IMAGE, { condition: 'Prod' }) }, { Conditions: conditions });
      const { fragment } = expectSuccess(run(input));
      expect(conditionOf(fragment)).toBe('Prod');
      expect(Object.keys(onlyMirror(fragment)[1])).toEqual(['Type', 'Condition', 'Properties']);
    });
    it('is a new condition, either site Condition, when the sites have different Conditions', () => {
      const input = template({ A: lambdaFunction(QUAY_IMAGE, { condition: 'Prod' }), B: lambdaFunction(QUAY_IMAGE, { condition: 'Dev' }) }, { Conditions: conditions });
      const { fragment } = expectSuccess(run(input));
      const [id] = onlyMirror(fragment);
      expect(conditionOf(fragment)).toBe(`${id}Needed`);
      expect(fragment.Conditions).toEqual({ ...conditions, [`${id}Needed`]: { 'Fn::Or': [{ Condition: 'Prod' }, { Condition: 'Dev' }] } });
    });
    it('is absent when only some sites have one', () => {
      const input = template({ A: lambdaFunction(QUAY_IMAGE, { condition: 'Prod' }), B: lambdaFunction(QUAY_IMAGE) }, { Conditions: conditions });
      expect(conditionOf(expectSuccess(run(input)).fragment)).toBeUndefined();
    });
    it('is absent when no site has one', () => {
      expect(conditionOf(expectSuccess(run(template({ A: lambdaFunction(QUAY_IMAGE) }))).fragment)).toBeUndefined();
    });
  });

  describe('grouping and mirror ids', () => {
    it('shares one mirror between spellings of the same image', () => {
      const input = template({ A: lambdaFunction('nginx:1.27'), B: samFunction('docker.io/library/nginx:1.27'), C: lambdaFunction('index.docker.io/library/nginx:1.27') });
      const { fragment, sites } = expectSuccess(run(input));
      const [id] = onlyMirror(fragment);
      // The contract's id, spelled out: sha256 of the sorted-key JSON, first 8 hex.
      expect(id).toBe(expectedMirrorId('docker.io/library/nginx:1.27', 'x86_64'));
      expect(sites.map((s) => s.mirrorLogicalId)).toEqual([id, id, id]);
      for (const f of ['A', 'B', 'C']) expect(imageOf(fragment, f)).toEqual(mirrorRef(id));
    });

    it('makes one mirror per architecture', () => {
      const input = template({ A: lambdaFunction(QUAY_IMAGE), B: lambdaFunction(QUAY_IMAGE, { architectures: ['arm64'] }) });
      const ids = Object.keys(mirrorsOf(expectSuccess(run(input)).fragment));
      expect(ids).toEqual([expectedMirrorId(QUAY_IMAGE, 'x86_64'), expectedMirrorId(QUAY_IMAGE, 'arm64')]);
      expect(new Set(ids).size).toBe(2);
    });

    it('gives expression sources the same id whatever their key order', () => {
      const a = { 'Fn::Sub': ['${R}/${AWS::StackName}', { R: 'quay.io', Unused: 'x' }] };
      const b = { 'Fn::Sub': ['${R}/${AWS::StackName}', { Unused: 'x', R: 'quay.io' }] };
      const first = onlyMirror(expectSuccess(run(template({ F: lambdaFunction(a) }))).fragment)[0];
      const second = onlyMirror(expectSuccess(run(template({ F: lambdaFunction(b) }))).fragment)[0];
      expect(first).toBe(second);
      expect(first).toBe(expectedMirrorId(a, 'x86_64'));
    });

    it('is stable across runs', () => {
      const input = template({ A: lambdaFunction(QUAY_IMAGE) });
      expect(run(input)).toEqual(run(input));
      expect(onlyMirror(expectSuccess(run(input)).fragment)[0]).toMatch(/^ImageMirror[0-9a-f]{8}$/);
    });

    it('appends new mirrors after the existing resources', () => {
      const input = template({ A: lambdaFunction('nginx'), Bucket: { Type: 'AWS::S3::Bucket' }, B: lambdaFunction(QUAY_IMAGE) });
      const keys = Object.keys(expectSuccess(run(input)).fragment.Resources as JsonObject);
      expect(keys).toEqual(['A', 'Bucket', 'B', expectedMirrorId('docker.io/library/nginx:latest', 'x86_64'), expectedMirrorId(QUAY_IMAGE, 'x86_64')]);
    });

    it('reuses an identical ImageMirror already in the template', () => {
      const id = expectedMirrorId(QUAY_IMAGE, 'x86_64');
      const existing = {
        Type: 'Custom::ImageMirror',
        Properties: {
          ServiceToken: MIRROR_ARN,
          ServiceTimeout: 3600,
          SourceImage: QUAY_IMAGE,
          Architecture: 'x86_64',
          RepositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher',
        },
      };
      const input = template({ [id]: existing, F: lambdaFunction(QUAY_IMAGE) });
      const { fragment } = expectSuccess(run(input));
      expect(Object.keys(fragment.Resources as JsonObject)).toEqual([id, 'F']);
      expect(imageOf(fragment, 'F')).toEqual(mirrorRef(id));
    });

    it('fails when the mirror id is taken by a different resource or a parameter', () => {
      const id = expectedMirrorId(QUAY_IMAGE, 'x86_64');
      const taken = expectFailure(run(template({ [id]: { Type: 'AWS::S3::Bucket' }, F: lambdaFunction(QUAY_IMAGE) })));
      expect(taken).toEqual([{ logicalId: id, message: expect.stringMatching(new RegExp(`^Resource ${id}: .*F need it.*rename`)) }]);
      const parameter = expectFailure(run(template({ F: lambdaFunction(QUAY_IMAGE) }, { Parameters: { [id]: stringParameter('x') } })));
      expect(parameter[0]!.message).toMatch(new RegExp(`parameter ${id} .*F need.*rename`));
    });
  });

  describe('errors', () => {
    it('reports an invalid image with the reference module reason', () => {
      const errors = expectFailure(run(template({ F: lambdaFunction('quay.io/Sysdig/patcher:1') })));
      expect(errors).toEqual([
        {
          logicalId: 'F',
          message:
            'Resource F: image "quay.io/Sysdig/patcher:1" is not a valid image reference: repository path component 1 "Sysdig" is invalid: upper-case letters are not allowed in the repository path',
        },
      ]);
    });

    it('reports a resolved value that is not a string', () => {
      const input = template({ F: lambdaFunction(ref('Names')) }, { Parameters: { Names: { Type: 'CommaDelimitedList', Default: 'a,b' } } });
      expect(expectFailure(run(input))).toEqual([
        { logicalId: 'F', message: 'Resource F: image ["a","b"] (from parameter Names) is not a valid image reference: it resolves to a list, not a string' },
      ]);
    });

    it('reports an image whose target repository name cannot fit ECR', () => {
      const long = `quay.io/${'a'.repeat(240)}/b:1`;
      const errors = expectFailure(run(template({ F: lambdaFunction(long) })));
      expect(errors[0]).toMatchObject({ logicalId: 'F', message: expect.stringMatching(/^Resource F: cannot mirror image .*ECR allows 256/) });
    });

    it('collects every broken resource into one result', () => {
      const input = template({
        Good: lambdaFunction(QUAY_IMAGE),
        BadImage: lambdaFunction('not an image'),
        BadArch: lambdaFunction(QUAY_IMAGE, { architectures: ['ppc'] }),
        BadOption: samFunction('nginx', { options: { Colour: 'blue' } }),
      });
      const result = run(input);
      const errors = expectFailure(result);
      expect(errors.map((e) => e.logicalId)).toEqual(['BadImage', 'BadArch', 'BadOption']);
      for (const e of errors) expect(e.message).toMatch(new RegExp(`^Resource ${e.logicalId}: `));
      // Every site is reported; those with a problem as failed, with the value that failed.
      expect(result.sites.map((s) => [s.logicalId, s.verdict, s.image])).toEqual([
        ['Good', 'mirror', QUAY_IMAGE],
        ['BadImage', 'failed', '"not an image"'],
        ['BadArch', 'failed', QUAY_IMAGE],
        ['BadOption', 'failed', 'docker.io/library/nginx:latest'],
      ]);
    });

    it('asks for a mirror function ARN only when a mirror is needed', () => {
      const none = defaults({ mirrorFunctionArn: '' });
      expect(expectFailure(run(template({ A: lambdaFunction(QUAY_IMAGE), B: lambdaFunction('nginx') }), context(), none))).toEqual([
        { message: expect.stringMatching(/^Template: resources A, B need an image mirror, but no mirror function ARN is configured/) },
      ]);
      expectSuccess(run(template({ A: lambdaFunction(PRIVATE_ECR_IMAGE) }), context(), none));
    });

    it('turns an unexpected exception into a problem instead of throwing', () => {
      const hostile = {
        get region(): string {
          throw new Error('boom');
        },
        accountId: ACCOUNT,
        templateParameterValues: {},
      };
      const result = transform(template({ F: lambdaFunction(QUAY_IMAGE) }), hostile, defaults());
      expect(expectFailure(result)).toEqual([{ logicalId: 'F', message: expect.stringMatching(/^Resource F: internal error .*boom/) }]);
    });
  });

  describe('malformed input', () => {
    it.each<[string, unknown]>([
      ['null', null],
      ['a list', []],
      ['a string', 'Resources: {}'],
      ['a number', 3],
      ['undefined', undefined],
    ])('fails for a fragment that is %s', (_, fragment) => {
      expect(expectFailure(run(fragment))[0]!.message).toMatch(/^Template: the fragment is .*, not a template object/);
    });
    it('succeeds with nothing to do without Resources', () => {
      expect(expectSuccess(run({ Description: 'x' }))).toEqual({ ok: true, fragment: { Description: 'x' }, sites: [], warnings: [] });
      expect(expectSuccess(run({ Resources: null })).fragment).toEqual({ Resources: null });
    });
    it('fails when Resources is not an object', () => {
      expect(expectFailure(run({ Resources: ['F'] }))).toEqual([{ message: 'Template: Resources must be an object of resources by logical id' }]);
    });
    it('skips resources that are not objects and Properties that are not objects', () => {
      const input = { Resources: { A: 'x', B: null, C: { Type: 'AWS::Lambda::Function', Properties: [] }, D: lambdaFunction('nginx') } };
      const { fragment, sites } = expectSuccess(run(input));
      expect(sites.map((s) => s.logicalId)).toEqual(['D']);
      expect((fragment.Resources as JsonObject).A).toBe('x');
    });
    it('ignores Parameters, Mappings and Conditions sections of the wrong shape', () => {
      const input = { Parameters: 'x', Mappings: [], Conditions: 7, Resources: { F: lambdaFunction(ref('P')) } };
      expect(siteOf(expectSuccess(run(input)).sites, 'F').verdict).toBe('deploy-time');
    });
    it('keeps "__proto__" and "constructor" keys as plain data', () => {
      const input = JSON.parse(
        '{"__proto__":{"x":1},"Resources":{"__proto__":{"Type":"AWS::Lambda::Function","Properties":' +
          '{"__proto__":"p","Code":{"__proto__":"c","constructor":"k","ImageUri":"nginx"}}},"constructor":{"Type":"X"}}}',
      ) as JsonObject;
      const snapshot = JSON.stringify(input);
      const { fragment, sites } = expectSuccess(run(input));
      const id = expectedMirrorId('docker.io/library/nginx:latest', 'x86_64');
      expect(sites.map((s) => s.logicalId)).toEqual(['__proto__']);
      expect(JSON.stringify(input)).toBe(snapshot);
      // Every object on the rewritten path is a copy; each kept its "__proto__" key as data, in order.
      const resources = fragment.Resources as JsonObject;
      const resource = Object.getOwnPropertyDescriptor(resources, '__proto__')!.value as JsonObject;
      const properties = resource.Properties as JsonObject;
      const code = properties.Code as JsonObject;
      for (const object of [fragment, resources, resource, properties, code]) expect(Object.getPrototypeOf(object)).toBe(Object.prototype);
      expect(Object.keys(fragment)).toEqual(['__proto__', 'Resources']);
      expect(Object.keys(resources)).toEqual(['__proto__', 'constructor', id]);
      expect(Object.keys(properties)).toEqual(['__proto__', 'Code']);
      expect(Object.getOwnPropertyDescriptor(properties, '__proto__')!.value).toBe('p');
      expect(Object.keys(code)).toEqual(['__proto__', 'constructor', 'ImageUri']);
      expect([Object.getOwnPropertyDescriptor(code, '__proto__')!.value, code.constructor, code.ImageUri]).toEqual(['c', 'k', mirrorRef(id)]);
    });
  });

  describe('purity', () => {
    const busy = () =>
      template(
        {
          Role: { Type: 'AWS::IAM::Role', Properties: { Path: '/' } },
          A: lambdaFunction(QUAY_IMAGE, { condition: 'Prod', properties: { Environment: { Variables: { AGENT: 'quay.io/sysdig/workload-agent:5.0.1' } } } }),
          B: samFunction(ref('Image'), { architectures: ['arm64'] }),
          C: lambdaFunction(PRIVATE_ECR_IMAGE),
          D: lambdaFunction(getAtt('Role', 'Arn')),
          Task: { Type: 'AWS::ECS::TaskDefinition', Properties: { ContainerDefinitions: [{ Image: QUAY_IMAGE, Name: 'x' }] } },
        },
        {
          Parameters: { Image: stringParameter('nginx') },
          Conditions: { Prod: equals(ref('AWS::StackName'), 'prod') },
          Outputs: { Image: { Value: QUAY_IMAGE } },
          Metadata: { SysdigImageFix: { ServiceTimeout: 900 }, Other: { z: 1, a: 2 } },
        },
      );

    it('changes nothing but the sites and the appended mirrors, keeping key order', () => {
      const input = busy();
      const { fragment } = expectSuccess(run(input));
      expect(Object.keys(mirrorsOf(fragment))).toHaveLength(3);
      expect(withoutTransformChanges(fragment, input)).toBe(JSON.stringify(input));
      expect((((fragment.Resources as JsonObject).A as JsonObject).Properties as JsonObject).Environment).toEqual({
        Variables: { AGENT: 'quay.io/sysdig/workload-agent:5.0.1' },
      });
    });

    it('does not mutate its input', () => {
      const input = busy();
      const snapshot = JSON.stringify(input);
      const { fragment } = expectSuccess(run(input));
      expect(JSON.stringify(input)).toBe(snapshot);
      // The top level and Resources are the result's own: changing them leaves the input alone.
      fragment.Description = 'changed';
      (fragment.Resources as JsonObject).Role = 'changed';
      expect(JSON.stringify(input)).toBe(snapshot);
    });

    it('copies only the path to each rewritten site and shares every untouched subtree with the input', () => {
      const input = busy();
      const { fragment } = expectSuccess(run(input));
      const [inResources, outResources] = [input.Resources as JsonObject, fragment.Resources as JsonObject];
      const properties = (resources: JsonObject, id: string) => (resources[id] as JsonObject).Properties as JsonObject;
      expect(fragment).not.toBe(input);
      expect(outResources).not.toBe(inResources);
      // A and D (Code.ImageUri) and B (SAM ImageUri) are rewritten: new objects down to the site.
      for (const id of ['A', 'B', 'D']) {
        expect(outResources[id]).not.toBe(inResources[id]);
        expect(properties(outResources, id)).not.toBe(properties(inResources, id));
      }
      expect(properties(outResources, 'A').Code).not.toBe(properties(inResources, 'A').Code);
      expect((properties(inResources, 'A').Code as JsonObject).ImageUri).toBe(QUAY_IMAGE);
      expect(properties(inResources, 'B').ImageUri).toEqual(ref('Image'));
      // ...while their other properties, the untouched resources and the other sections are shared.
      expect(properties(outResources, 'A').Environment).toBe(properties(inResources, 'A').Environment);
      for (const id of ['Role', 'C', 'Task']) expect(outResources[id]).toBe(inResources[id]);
      for (const section of ['Parameters', 'Conditions', 'Outputs', 'Metadata']) expect(fragment[section]).toBe(input[section]);
      // A mirror's SourceImage is a copy of the user's expression, not the same object.
      const fromRef = Object.values(mirrorsOf(fragment)).find((mirror) => jsonEquals((mirror.Properties as JsonObject).SourceImage, ref('Image')));
      expect((fromRef!.Properties as JsonObject).SourceImage).toEqual(ref('Image'));
      expect((fromRef!.Properties as JsonObject).SourceImage).not.toBe(properties(inResources, 'B').ImageUri);
    });

    it('is idempotent', () => {
      const once = expectSuccess(run(busy())).fragment;
      const twice = expectSuccess(run(once));
      expect(twice.fragment).toEqual(once);
      expect(JSON.stringify(twice.fragment)).toBe(JSON.stringify(once));
      expect(twice.sites.filter((s) => s.verdict !== 'keep').map((s) => s.logicalId)).toEqual([]);
    });
  });
});
