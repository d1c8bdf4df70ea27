import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMacroHandler, handler, MACRO_SERVICE_NAME, type MacroResponse } from '../../../src/macro/handler.js';
import type { JsonObject } from '../../../src/template/types.js';
import {
  MACRO_ENV,
  MIRROR_ARN,
  OTHER_REGION_ECR_IMAGE,
  QUAY_IMAGE,
  SAME_REGION_ECR_IMAGE,
  lambdaImageFunction,
  macroEvent,
  mirrorIds,
  mirrorOf,
  recordingLog,
  samImageFunction,
  siteImage,
  stringParameter,
  templateWith,
} from './fixtures.js';

type Env = Record<string, string | undefined>;

function handlerWith(env: Env = MACRO_ENV) {
  const log = recordingLog();
  return { invoke: createMacroHandler({ env: () => env, log }), log };
}

async function invoke(event: unknown, env: Env = MACRO_ENV): Promise<MacroResponse> {
  return handlerWith(env).invoke(event);
}

function expectSuccess(response: MacroResponse): JsonObject {
  if (response.status !== 'success') throw new Error(`expected success, got failure: ${response.errorMessage}`);
  expect(Object.keys(response).sort()).toEqual(['fragment', 'requestId', 'status']);
  return response.fragment;
}

function expectFailure(response: MacroResponse): string {
  if (response.status !== 'failure') throw new Error('expected failure, got success');
  expect(Object.keys(response).sort()).toEqual(['errorMessage', 'requestId', 'status']);
  expect(response.errorMessage.length).toBeGreaterThan(0);
  return response.errorMessage;
}

const quayTemplate = () => templateWith({ PatcherFunction: lambdaImageFunction(QUAY_IMAGE) });

describe('Function: handler', () => {
  describe('success responses', () => {
    it('mirrors a Quay image: the site reads the ImageUri of an injected Custom::ImageMirror', async () => {
      const response = await invoke(macroEvent(quayTemplate()));
      const fragment = expectSuccess(response);
      expect(response.requestId).toBe('req-0b6e1c2f');
      const mirror = mirrorOf(fragment, 'PatcherFunction');
      expect(mirror.id).toMatch(/^ImageMirror[0-9a-f]{8}$/);
      expect(mirror.properties).toMatchObject({
        ServiceToken: MIRROR_ARN,
        SourceImage: QUAY_IMAGE,
        Architecture: 'x86_64',
        RepositoryName: 'sysdig-image-fix/quay.io/sysdig/serverless-patcher',
      });
      expect(mirrorIds(fragment)).toEqual([mirror.id]);
    });

    it('returns a template without image sites unchanged and never mutates the event', async () => {
      const template = templateWith({ Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketName: 'quay.io/not-an-image-site' } } });
      const event = macroEvent(template);
      const before = structuredClone(event);
      const fragment = expectSuccess(await invoke(event));
      expect(fragment).toEqual(template);
      expect(event).toEqual(before);
    });

    it('keeps a private ECR image of the stack region as it is', async () => {
      const fragment = expectSuccess(await invoke(macroEvent(templateWith({ Api: lambdaImageFunction(SAME_REGION_ECR_IMAGE) }))));
      expect(siteImage((fragment.Resources as JsonObject).Api)).toBe(SAME_REGION_ECR_IMAGE);
      expect(mirrorIds(fragment)).toEqual([]);
    });

    it('resolves parameters with templateParameterValues: same-region ECR kept, other-region ECR mirrored', async () => {
      const template = templateWith(
        { Kept: lambdaImageFunction({ Ref: 'KeptImage' }), Mirrored: lambdaImageFunction({ Ref: 'MirroredImage' }) },
        { Parameters: { KeptImage: stringParameter(), MirroredImage: stringParameter() } },
      );
      const fragment = expectSuccess(
        await invoke(macroEvent(template, { templateParameterValues: { KeptImage: SAME_REGION_ECR_IMAGE, MirroredImage: OTHER_REGION_ECR_IMAGE } })),
      );
      expect(siteImage((fragment.Resources as JsonObject).Kept)).toEqual({ Ref: 'KeptImage' });
      // The repository follows the value CloudFormation passes the mirror (the same as here).
      expect(mirrorOf(fragment, 'Mirrored').properties).toMatchObject({ SourceImage: { Ref: 'MirroredImage' }, RepositoryPrefix: 'sysdig-image-fix' });
    });

    it.each([
      ['has no value for the parameter', { templateParameterValues: {} }],
      ['has no templateParameterValues at all', { templateParameterValues: undefined }],
    ])('mirrors at deploy time when the event %s', async (_case, overrides) => {
      const template = templateWith({ Patcher: lambdaImageFunction({ Ref: 'PatcherImage' }) }, { Parameters: { PatcherImage: stringParameter() } });
      const fragment = expectSuccess(await invoke(macroEvent(template, overrides)));
      const mirror = mirrorOf(fragment, 'Patcher');
      expect(mirror.properties.SourceImage).toEqual({ Ref: 'PatcherImage' });
      expect(mirror.properties.RepositoryPrefix).toBe('sysdig-image-fix');
      expect(mirror.properties.RepositoryName).toBeUndefined();
    });

    it('mirrors a SAM function for the architecture of SAM Globals', async () => {
      const template = templateWith({ Worker: samImageFunction(QUAY_IMAGE) }, { Globals: { Function: { Architectures: ['arm64'] } } });
      const fragment = expectSuccess(await invoke(macroEvent(template)));
      expect(mirrorOf(fragment, 'Worker').properties.Architecture).toBe('arm64');
    });

    it('applies REPOSITORY_PREFIX and SERVICE_TIMEOUT from the environment', async () => {
      const env = { ...MACRO_ENV, REPOSITORY_PREFIX: 'team/mirrors', SERVICE_TIMEOUT: '900' };
      const { properties } = mirrorOf(expectSuccess(await invoke(macroEvent(quayTemplate()), env)), 'PatcherFunction');
      expect(properties.RepositoryName).toBe('team/mirrors/quay.io/sysdig/serverless-patcher');
      expect(Number(properties.ServiceTimeout)).toBe(900);
    });

    it('reads the environment on every invocation', async () => {
      const env: Env = { ...MACRO_ENV };
      const { invoke: run } = handlerWith(env);
      const first = mirrorOf(expectSuccess(await run(macroEvent(quayTemplate()))), 'PatcherFunction');
      env.MIRROR_FUNCTION_ARN = 'arn:aws:lambda:ap-northeast-1:123456789012:function:other-mirror';
      const second = mirrorOf(expectSuccess(await run(macroEvent(quayTemplate()))), 'PatcherFunction');
      expect(first.properties.ServiceToken).toBe(MIRROR_ARN);
      expect(second.properties.ServiceToken).toBe('arn:aws:lambda:ap-northeast-1:123456789012:function:other-mirror');
    });
  });

  describe('failure: macro environment', () => {
    it.each([
      ['missing', {}],
      ['empty', { MIRROR_FUNCTION_ARN: '' }],
      ['blank', { MIRROR_FUNCTION_ARN: '   ' }],
    ])('fails when MIRROR_FUNCTION_ARN is %s, saying the macro stack must set it', async (_case, env) => {
      const response = await invoke(macroEvent(quayTemplate()), env);
      const message = expectFailure(response);
      expect(response.requestId).toBe('req-0b6e1c2f');
      expect(message).toContain('MIRROR_FUNCTION_ARN');
      expect(message).toContain('macro stack must set it');
    });

    it('fails when MIRROR_FUNCTION_ARN is not a Lambda function ARN', async () => {
      const message = expectFailure(await invoke(macroEvent(quayTemplate()), { MIRROR_FUNCTION_ARN: 'sysdig-image-fix-mirror' }));
      expect(message).toContain('MIRROR_FUNCTION_ARN');
      expect(message).toContain('"sysdig-image-fix-mirror"');
    });

    it.each(['0', '3601', 'abc', '1.5', '-1', '60s'])('fails naming SERVICE_TIMEOUT when it is "%s"', async (value) => {
      const message = expectFailure(await invoke(macroEvent(quayTemplate()), { ...MACRO_ENV, SERVICE_TIMEOUT: value }));
      expect(message).toContain('SERVICE_TIMEOUT');
      expect(message).toContain(`"${value}"`);
    });

    it.each(['Upper/Case', 'a//b', '/leading', 'trailing-'])('fails naming REPOSITORY_PREFIX when it is "%s"', async (value) => {
      const message = expectFailure(await invoke(macroEvent(quayTemplate()), { ...MACRO_ENV, REPOSITORY_PREFIX: value }));
      expect(message).toContain('REPOSITORY_PREFIX');
      expect(message).toContain(`"${value}"`);
    });

    it('lists every environment problem, together with the event problems', async () => {
      const message = expectFailure(await invoke(macroEvent(quayTemplate(), { region: 'moon-base-1a' }), { REPOSITORY_PREFIX: 'BAD', SERVICE_TIMEOUT: 'never' }));
      for (const name of ['MIRROR_FUNCTION_ARN', 'REPOSITORY_PREFIX', 'SERVICE_TIMEOUT', 'region']) expect(message).toContain(name);
      expect(message).toContain('4 problems');
    });
  });

  describe('failure: malformed events', () => {
    it.each([
      ['null', null],
      ['undefined', undefined],
      ['a number', 42],
      ['a string', '{"requestId":"x"}'],
      ['an array', [macroEvent(quayTemplate())]],
      ['a boolean', true],
    ])('answers an event that is %s with a failure and an empty requestId', async (_case, event) => {
      const response = await invoke(event);
      expect(expectFailure(response)).toContain('the macro event must be an object');
      expect(response.requestId).toBe('');
    });

    it('lists every missing field of an empty event', async () => {
      const message = expectFailure(await invoke({}));
      for (const field of ['requestId', 'region', 'accountId', 'fragment']) expect(message).toContain(field);
      expect(message).toContain('4 problems');
    });

    it.each([
      ['null', null],
      ['an array', [quayTemplate()]],
      ['a string', JSON.stringify(quayTemplate())],
      ['a number', 7],
      ['missing', undefined],
    ])('fails when the fragment is %s, echoing the requestId', async (_case, fragment) => {
      const response = await invoke(macroEvent(fragment));
      expect(expectFailure(response)).toContain('fragment must be a template object');
      expect(response.requestId).toBe('req-0b6e1c2f');
    });

    it.each([
      ['region', ''],
      ['region', 'mars'],
      ['region', 1],
      ['accountId', '12345'],
      ['accountId', 123456789012],
      ['templateParameterValues', ['PatcherImage']],
      ['templateParameterValues', 'PatcherImage=quay.io/x'],
      ['requestId', ''],
      ['requestId', 17],
    ])('fails naming %s when it is %j', async (field, value) => {
      const message = expectFailure(await invoke(macroEvent(quayTemplate(), { [field]: value })));
      expect(message).toContain(field);
    });

    it('answers (does not throw) even when reading the event throws', async () => {
      const event = macroEvent(quayTemplate());
      Object.defineProperty(event, 'fragment', {
        enumerable: true,
        get() {
          throw new Error('boom');
        },
      });
      const response = await invoke(event);
      expect(expectFailure(response)).toContain('internal error');
      expect(response.requestId).toBe('req-0b6e1c2f');
    });
  });

  describe('failure: transform problems', () => {
    it('reports every problem of every resource together, each naming its resource', async () => {
      const template = templateWith({
        UpperCaseImage: lambdaImageFunction('quay.io/Sysdig/Patcher:1'),
        SpaceInImage: samImageFunction('nginx:1.27 ; rm -rf /'),
        FineImage: lambdaImageFunction(QUAY_IMAGE),
        BadOption: lambdaImageFunction(QUAY_IMAGE, { metadata: { SysdigImageFix: { NoSuchOption: true } } }),
      });
      const response = await invoke(macroEvent(template));
      const message = expectFailure(response);
      expect(response.requestId).toBe('req-0b6e1c2f');
      expect(message).toContain('3 problems');
      for (const id of ['UpperCaseImage', 'SpaceInImage', 'BadOption']) expect(message).toContain(id);
      expect(message).not.toContain('FineImage');
    });

    it('says what a bad value is and which parameter it came from, in the errorMessage CloudFormation shows', async () => {
      const template = templateWith(
        { InS3: samImageFunction({ Ref: 'Img' }), Empty: lambdaImageFunction(''), Archive: lambdaImageFunction('./archive_x86_64.tar.gz') },
        { Parameters: { Img: stringParameter() } },
      );
      const message = expectFailure(await invoke(macroEvent(template, { templateParameterValues: { Img: 's3://bucket/key' } })));
      expect(message).toBe(
        'SysdigImageFix found 3 problems: ' +
          '(1) Resource InS3: image "s3://bucket/key" (from parameter Img) is not a valid image reference: it is an S3 URL, not an image reference: ' +
          'Lambda runs container images from a registry (give registry/repository:tag); code in S3 is a Zip package (PackageType: Zip) ' +
          '(2) Resource Empty: image "" is not a valid image reference: the reference is empty ' +
          '(3) Resource Archive: image "./archive_x86_64.tar.gz" is not a valid image reference: it is a local path or archive, not an image reference: ' +
          'push the image to a registry and give its registry/repository:tag (or let SAM build it: PackageType Image with Metadata Dockerfile and DockerContext, then sam build)',
      );
    });

    it('counts failed sites in the log summary', async () => {
      const { invoke: run, log } = handlerWith();
      expectFailure(await run(macroEvent(templateWith({ Empty: lambdaImageFunction(''), Fine: lambdaImageFunction(QUAY_IMAGE) }))));
      expect(log.entries[0]!.attributes).toMatchObject({ sites: 2, verdicts: { mirror: 1, failed: 1 } });
    });
  });

  describe('logging', () => {
    const SECRET = 's3cr3t-Pa55w0rd';
    const mixedTemplate = () =>
      templateWith(
        {
          Mirrored: lambdaImageFunction(QUAY_IMAGE),
          Kept: lambdaImageFunction(SAME_REGION_ECR_IMAGE),
          Later: lambdaImageFunction({ Ref: 'LaterImage' }),
          Skipped: lambdaImageFunction('docker.io/library/python:3.12', { metadata: { SysdigImageFix: { Skip: true } } }),
          Database: { Type: 'AWS::RDS::DBInstance', Properties: { MasterUserPassword: { Ref: 'DatabasePassword' } } },
        },
        {
          Description: 'template text that must not reach the logs',
          Parameters: { LaterImage: stringParameter(), DatabasePassword: { Type: 'String', NoEcho: true } },
        },
      );

    it('logs one info line with the verdict counts, mirror ids and requestId, without template or parameter values', async () => {
      const { invoke: run, log } = handlerWith();
      const fragment = expectSuccess(await run(macroEvent(mixedTemplate(), { templateParameterValues: { DatabasePassword: SECRET } })));
      expect(log.entries).toHaveLength(1);
      const [entry] = log.entries;
      expect(entry!.level).toBe('info');
      expect(entry!.attributes).toMatchObject({
        requestId: 'req-0b6e1c2f',
        verdicts: { mirror: 1, keep: 1, 'deploy-time': 1, skip: 1 },
        mirrors: mirrorIds(fragment),
      });
      const logged = JSON.stringify(log.entries);
      expect(logged).not.toContain(SECRET);
      expect(logged).not.toContain('must not reach the logs');
    });

    it('logs a failed transform at error level with its problems, and no info line', async () => {
      const { invoke: run, log } = handlerWith();
      const template = templateWith({ Broken: lambdaImageFunction('quay.io/UPPER/case:1') }, { Parameters: { DatabasePassword: { Type: 'String', NoEcho: true } } });
      expectFailure(await run(macroEvent(template, { templateParameterValues: { DatabasePassword: SECRET } })));
      expect(log.entries.map((entry) => entry.level)).toEqual(['error']);
      expect(log.entries[0]!.attributes.requestId).toBe('req-0b6e1c2f');
      expect(JSON.stringify(log.entries[0]!.attributes.problems)).toContain('Broken');
      expect(JSON.stringify(log.entries)).not.toContain(SECRET);
    });

    it('logs a rejected event at error level', async () => {
      const { invoke: run, log } = handlerWith({});
      expectFailure(await run(macroEvent(quayTemplate())));
      expect(log.entries.map((entry) => entry.level)).toEqual(['error']);
      expect(JSON.stringify(log.entries)).toContain('MIRROR_FUNCTION_ARN');
    });
  });

  describe('the Lambda entry point', () => {
    afterEach(() => {
      vi.unstubAllEnvs();
      vi.restoreAllMocks();
    });

    it('reads process.env and logs JSON through Powertools under the service name', async () => {
      vi.stubEnv('MIRROR_FUNCTION_ARN', MIRROR_ARN);
      vi.stubEnv('REPOSITORY_PREFIX', 'entry/point');
      const written: string[] = [];
      vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        written.push(String(chunk));
        return true;
      });
      const response = await handler(macroEvent(quayTemplate()), { awsRequestId: 'lambda-req-1', functionName: 'macro' });
      vi.mocked(process.stdout.write).mockRestore();

      const fragment = expectSuccess(response);
      expect(mirrorOf(fragment, 'PatcherFunction').properties.RepositoryName).toBe('entry/point/quay.io/sysdig/serverless-patcher');
      const lines = written
        .join('')
        .split('\n')
        .filter((line) => line.trim().startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const summary = lines.find((line) => line.message === 'transform succeeded');
      expect(summary).toMatchObject({ service: MACRO_SERVICE_NAME, level: 'INFO', requestId: 'req-0b6e1c2f', region: 'ap-northeast-1' });
      expect(JSON.stringify(lines)).not.toContain('AssumeRolePolicyDocument');
    });
  });
});
